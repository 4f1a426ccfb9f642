#include "providers/ec2/launch.hpp"

#include <fmt/format.h>

#include "base/expected.hpp"
#include "base/hash.hpp"
#include "base/strings.hpp"
#include "providers/ec2/ec2_provider.hpp"

namespace gpunb::providers::ec2 {

namespace {

aws::RunRequest run_request(const LaunchInput& input, const std::string& type,
                            const std::string& zone) {
  aws::RunRequest request;
  request.image_id = input.prepared.image_id;
  request.type = type;
  request.key_name = input.prepared.key_name;
  request.security_group_id = input.prepared.security_group_id;
  request.client_token = attempt_token(input.client_token, type, zone);
  request.tags = {{"Name", "gpunb-" + input.spec.name},
                  {kNameTag, input.spec.name},
                  {kOwnerTag, input.owner},
                  {kUserTag, input.prepared.user}};
  request.disk_gb = input.spec.disk_gb;
  request.zone = zone;
  request.spot = input.spec.spot;
  return request;
}

}  // namespace

std::string attempt_token(const std::string& base, const std::string& type,
                          const std::string& zone) {
  return "gpunb-" + base::hex(base::sha256(base + "/" + type + "/" + zone)).substr(0, 40);
}

core::Result<aws::Instance> launch_with_failover(aws::Ec2Client& client, const LaunchInput& input,
                                                 const Progress& progress) {
  auto zones = aws::describe_availability_zones(client);
  TRY(zones);
  std::vector<std::string> tried;
  for (const auto& type : input.prepared.types) {
    for (const auto& zone : *zones) {
      progress(fmt::format("launching {} in {}", type, zone), Importance::step);
      auto instance = aws::run_instances(client, run_request(input, type, zone));
      if (instance) return instance;
      if (instance.error().kind != core::ErrorKind::capacity) return instance;
      tried.push_back(type + " in " + zone);
      progress(fmt::format("no {} capacity in {}; trying the next choice", type, zone),
               Importance::notice);
    }
  }
  return core::fail(
      core::ErrorKind::capacity,
      "no capacity for any requested type; tried " + base::join(tried, ", "),
      "add fallback types (--type g5.xlarge,g4dn.xlarge), try another region, or use --spot");
}

}  // namespace gpunb::providers::ec2
