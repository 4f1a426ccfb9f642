#include "providers/ec2/ec2_provider.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "aws/ec2_api.hpp"
#include "aws/ec2_errors.hpp"
#include "base/expected.hpp"
#include "base/hash.hpp"
#include "base/strings.hpp"
#include "providers/ec2/launch.hpp"
#include "providers/ec2/prepare.hpp"

namespace gpunb::providers::ec2 {

std::string key_pair_name(const std::string& public_key) {
  auto parts = base::split(base::trim(public_key), ' ');
  auto material = parts.size() > 1 ? parts[1] : public_key;
  return "gpunb-" + base::hex(base::sha256(material)).substr(0, 16);
}

std::string security_group_name(const std::string& machine_name) {
  return "gpunb-" + machine_name;
}

namespace {

// EC2's StateTransitionReason dates only the way down: stopping, stopped, shutting down, gone.
bool transition_is_dated(core::MachineState state) {
  using core::MachineState;
  return state == MachineState::stopping || state == MachineState::stopped ||
         state == MachineState::shutting_down || state == MachineState::terminated;
}

}  // namespace

core::Machine to_machine(const aws::Instance& instance, const std::string& region) {
  core::Machine machine;
  auto tag = [&](const char* key) {
    auto it = instance.tags.find(key);
    return it == instance.tags.end() ? std::string() : it->second;
  };
  machine.name = tag(kNameTag);
  machine.region = region;
  machine.id = instance.id;
  machine.type = instance.type;
  machine.state = core::machine_state_from(instance.state);
  machine.public_ip = instance.public_ip;
  machine.user = tag(kUserTag);
  machine.launched_at = instance.launch_time;
  machine.client_token = instance.client_token;
  machine.zone = instance.zone;
  machine.image_id = instance.image_id;
  machine.spot = instance.lifecycle == "spot";
  machine.state_reason = instance.state_reason;
  machine.stopped_by = tag(kStoppedByTag);
  if (transition_is_dated(machine.state)) machine.state_since = instance.transition_time;
  return machine;
}

namespace {

std::vector<std::string> ids_of(const core::Machine& machine) {
  return {machine.id};
}

constexpr int kSelfServiceSeconds = 7 * 24 * 3600;  // the longest a presigned URL may live

SelfService self_service_urls(const aws::Ec2Client& client, const core::Machine& machine,
                              const std::string& endpoint) {
  SelfService urls;
  urls.terminate = client.presign("TerminateInstances", {{"InstanceId.1", machine.id}},
                                  kSelfServiceSeconds, endpoint);
  for (const char* why : {"autodown", "max-hours"}) {
    aws::Params params{
        {"ResourceId.1", machine.id}, {"Tag.1.Key", kStoppedByTag}, {"Tag.1.Value", why}};
    urls.stopped_by[why] = client.presign("CreateTags", params, kSelfServiceSeconds, endpoint);
  }
  return urls;
}

class Ec2Provider : public Provider {
 public:
  Ec2Provider(aws::Ec2Client& client, Ec2Settings settings)
      : client_(client), settings_(std::move(settings)) {}

  std::string name() const override { return "ec2"; }

  bool supports(Feature /*feature*/) const override { return true; }  // every feature

  core::Result<Prepared> prepare(const core::MachineSpec& spec, const Progress& progress) override {
    PrepareInput input{spec, settings_.public_key, key_pair_name(settings_.public_key),
                       security_group_name(spec.name), settings_.default_image_pattern};
    return prepare_machine(client_, input, progress);
  }

  core::Result<core::Machine> launch(const core::MachineSpec& spec, const Prepared& prepared,
                                     const std::string& client_token,
                                     const Progress& progress) override {
    LaunchInput input{spec, prepared, client_token, settings_.owner};
    auto instance = launch_with_failover(client_, input, progress);
    TRY(instance);
    return to_machine(*instance, region());
  }

  core::Result<core::Machine> query(const core::Machine& machine) override {
    auto found = aws::describe_instances(client_, {}, ids_of(machine));
    TRY(found);
    if (found->empty()) {
      return core::fail(core::ErrorKind::not_found,
                        "instance " + machine.id + " is not known to EC2");
    }
    return to_machine(found->front(), region());
  }

  core::Result<std::vector<core::Machine>> list() override {
    auto found = aws::describe_instances(client_, {{"tag-key", {kNameTag}}}, {});
    TRY(found);
    std::vector<core::Machine> machines;
    for (const auto& instance : *found) machines.push_back(to_machine(instance, region()));
    return machines;
  }

  core::Result<std::vector<std::string>> regions() override {
    return aws::describe_regions(client_);
  }

  core::Status start(const core::Machine& machine) override {
    return discard(aws::start_instances(client_, ids_of(machine)));
  }

  core::Status stop(const core::Machine& machine) override {
    return discard(aws::stop_instances(client_, ids_of(machine)));
  }

  core::Status terminate(const core::Machine& machine) override {
    return discard(aws::terminate_instances(client_, ids_of(machine)));
  }

  core::Status set_terminate_on_shutdown(const core::Machine& machine, bool terminate) override {
    return aws::set_shutdown_behavior(client_, machine.id, terminate ? "terminate" : "stop");
  }

  core::Result<SelfService> self_service(const core::Machine& machine,
                                         const std::string& endpoint) override {
    return self_service_urls(client_, machine, endpoint);
  }

  core::Status clear_stopped_by(const core::Machine& machine) override {
    if (machine.stopped_by.empty()) return {};
    return aws::delete_tags(client_, ids_of(machine), {kStoppedByTag});
  }

  core::Result<bool> allow_inbound(const core::Machine& machine, int port,
                                   const std::string& cidr) override {
    auto groups = aws::describe_security_groups(client_, {security_group_name(machine.name)});
    TRY(groups);
    if (groups->empty())
      return core::fail(core::ErrorKind::not_found, "no security group for " + machine.name);
    auto added = aws::authorize_ingress(client_, groups->front().id, {"tcp", port, port, {cidr}});
    TRY(added);
    return true;
  }

  // The live serial console first (it shows cloud-init's fingerprints minutes before the buffered
  // copy); types that cannot give it (Xen) are asked for the buffered copy from then on.
  core::Result<std::string> console_output(const core::Machine& machine) override {
    if (!no_latest_.contains(machine.id)) {
      auto latest = aws::get_console_output(client_, machine.id, true);
      if (latest || !refuses_latest(latest.error())) return latest;
      no_latest_.insert(machine.id);
    }
    return aws::get_console_output(client_, machine.id, false);
  }

  core::Status release(const core::Machine& machine) override {
    return release_resources(client_, security_group_name(machine.name),
                             key_pair_name(settings_.public_key));
  }

 private:
  template <typename T>
  static core::Status discard(core::Result<T> result) {
    TRY(result);
    return {};
  }

  const std::string& region() const { return client_.context().region; }

  static bool refuses_latest(const core::Error& error) {
    return aws::has_ec2_code(error, "UnsupportedOperation") ||
           aws::has_ec2_code(error, "InvalidParameterCombination");
  }

  aws::Ec2Client& client_;
  Ec2Settings settings_;
  std::set<std::string> no_latest_;  // instances whose type has no live console output
};

}  // namespace

std::unique_ptr<Provider> make_ec2_provider(aws::Ec2Client& client, Ec2Settings settings) {
  return std::make_unique<Ec2Provider>(client, std::move(settings));
}

}  // namespace gpunb::providers::ec2
