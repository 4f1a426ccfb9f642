#include "app/services.hpp"

#include "app/context.hpp"
#include "providers/ec2/ec2_provider.hpp"

namespace gpunb::app {

std::unique_ptr<net::Http> RealServices::make_http() {
  return net::make_curl_http();
}

providers::Provider& RealServices::provider(Context& context, const std::string& region) {
  auto found = regions_.find(region);
  if (found != regions_.end()) return *found->second.provider;
  auto aws = context.aws_context(region);
  // An HTTP client per region: providers of different regions may be used on threads of their
  // own (`ls --all-regions` asks every region at once).
  Region made;
  made.http = make_http();
  made.client =
      std::make_unique<aws::Ec2Client>(*made.http, context.clock(), context.log(), std::move(aws));
  providers::ec2::Ec2Settings settings;
  settings.public_key = context.key().public_openssh;
  settings.owner = context.owner();
  made.provider = providers::ec2::make_ec2_provider(*made.client, std::move(settings));
  // Kept only once whole: a failure above (credentials, the key) leaves no half-made region.
  return *regions_.emplace(region, std::move(made)).first->second.provider;
}

core::Result<ssh::Session> RealServices::connect_ssh(const ssh::ConnectOptions& options) {
  return ssh::Session::connect(options);
}

}  // namespace gpunb::app
