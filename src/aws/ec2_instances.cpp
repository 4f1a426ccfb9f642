// Launching, describing and changing the state of instances.
#include "aws/ec2_api.hpp"
#include "aws/ec2_support.hpp"
#include "base/expected.hpp"
#include "base/strings.hpp"

namespace gpunb::aws {

namespace {

Instance parse_instance(const pugi::xml_node& item) {
  Instance instance;
  instance.id = child_text(item, "instanceId");
  instance.type = child_text(item, "instanceType");
  instance.state = item.child("instanceState").child_value("name");
  instance.public_ip = child_text(item, "ipAddress");
  instance.private_ip = child_text(item, "privateIpAddress");
  instance.zone = item.child("placement").child_value("availabilityZone");
  instance.image_id = child_text(item, "imageId");
  instance.key_name = child_text(item, "keyName");
  instance.launch_time = parse_iso8601(child_text(item, "launchTime"));
  instance.client_token = child_text(item, "clientToken");
  instance.lifecycle = child_text(item, "instanceLifecycle");
  instance.state_reason = item.child("stateReason").child_value("code");
  instance.transition_time = parse_transition_time(child_text(item, "reason"));
  instance.tags = parse_tags(item.child("tagSet"));
  for (const auto& group : items(item, "groupSet"))
    instance.security_group_ids.push_back(child_text(group, "groupId"));
  return instance;
}

void add_disk(Params& params, const RunRequest& request) {
  params.insert(params.end(),
                {{"BlockDeviceMapping.1.DeviceName", request.root_device_name},
                 {"BlockDeviceMapping.1.Ebs.VolumeSize", std::to_string(request.disk_gb)},
                 {"BlockDeviceMapping.1.Ebs.VolumeType", "gp3"},
                 {"BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true"}});
}

void add_spot(Params& params) {
  params.insert(params.end(),
                {{"InstanceMarketOptions.MarketType", "spot"},
                 {"InstanceMarketOptions.SpotOptions.SpotInstanceType", "persistent"},
                 {"InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior", "stop"}});
}

core::Result<std::vector<StateChange>> change_state(Ec2Client& client, const std::string& action,
                                                    const std::vector<std::string>& ids) {
  Params params;
  add_list(params, "InstanceId", ids);
  auto document = client.call(action, params);
  TRY(document);
  return parse_state_changes((*document)->document_element());
}

}  // namespace

std::int64_t parse_transition_time(std::string_view reason) {
  constexpr std::string_view kStampEnd = " GMT)";
  constexpr size_t kStampSize = 19;  // "YYYY-MM-DD HH:MM:SS"
  auto end = reason.find(kStampEnd);
  if (end == std::string_view::npos || end < kStampSize + 1) return 0;
  if (reason[end - kStampSize - 1] != '(') return 0;
  return parse_iso8601(reason.substr(end - kStampSize, kStampSize));
}

Params run_instances_params(const RunRequest& request) {
  Params params = {{"ImageId", request.image_id},
                   {"InstanceType", request.type},
                   {"MinCount", "1"},
                   {"MaxCount", "1"},
                   {"KeyName", request.key_name},
                   {"SecurityGroupId.1", request.security_group_id},
                   {"ClientToken", request.client_token},
                   {"InstanceInitiatedShutdownBehavior", "stop"}};
  if (request.zone && !request.zone->empty())
    params.emplace_back("Placement.AvailabilityZone", *request.zone);
  add_disk(params, request);
  if (!request.tags.empty()) {
    params.emplace_back("TagSpecification.1.ResourceType", "instance");
    add_tags(params, "TagSpecification.1.Tag", request.tags);
  }
  if (request.spot) add_spot(params);
  return params;
}

core::Result<Instance> run_instances(Ec2Client& client, const RunRequest& request) {
  auto document = client.call("RunInstances", run_instances_params(request));
  TRY(document);
  auto instances = parse_run_instances((*document)->document_element());
  if (instances.empty())
    return core::fail(core::ErrorKind::cloud, "RunInstances: EC2 returned no instance");
  return instances.front();
}

std::vector<Instance> parse_run_instances(const pugi::xml_node& response) {
  std::vector<Instance> instances;
  for (const auto& item : items(response, "instancesSet"))
    instances.push_back(parse_instance(item));
  return instances;
}

core::Result<std::vector<Instance>> describe_instances(Ec2Client& client,
                                                       const std::vector<Filter>& filters,
                                                       const std::vector<std::string>& ids) {
  Params params;
  add_filters(params, filters);
  add_list(params, "InstanceId", ids);
  if (ids.empty()) params.emplace_back("MaxResults", "1000");
  std::vector<Instance> instances;
  auto status =
      for_each_page(client, "DescribeInstances", params, [&](const pugi::xml_node& response) {
        auto page = parse_instances(response);
        instances.insert(instances.end(), page.begin(), page.end());
      });
  TRY(status);
  return instances;
}

std::vector<Instance> parse_instances(const pugi::xml_node& response) {
  std::vector<Instance> instances;
  for (const auto& reservation : items(response, "reservationSet")) {
    for (const auto& item : items(reservation, "instancesSet"))
      instances.push_back(parse_instance(item));
  }
  return instances;
}

std::string parse_next_token(const pugi::xml_node& response) {
  return child_text(response, "nextToken");
}

core::Result<std::vector<StateChange>> start_instances(Ec2Client& client,
                                                       const std::vector<std::string>& ids) {
  return change_state(client, "StartInstances", ids);
}

core::Result<std::vector<StateChange>> stop_instances(Ec2Client& client,
                                                      const std::vector<std::string>& ids) {
  return change_state(client, "StopInstances", ids);
}

core::Result<std::vector<StateChange>> terminate_instances(Ec2Client& client,
                                                           const std::vector<std::string>& ids) {
  return change_state(client, "TerminateInstances", ids);
}

std::vector<StateChange> parse_state_changes(const pugi::xml_node& response) {
  std::vector<StateChange> changes;
  for (const auto& item : items(response, "instancesSet")) {
    changes.push_back({child_text(item, "instanceId"),
                       item.child("previousState").child_value("name"),
                       item.child("currentState").child_value("name")});
  }
  return changes;
}

core::Result<std::string> get_console_output(Ec2Client& client, const std::string& instance_id,
                                             bool latest) {
  Params params = {{"InstanceId", instance_id}};
  if (latest) params.emplace_back("Latest", "true");
  auto document = client.call("GetConsoleOutput", params);
  TRY(document);
  return parse_console_output((*document)->document_element());
}

std::string parse_console_output(const pugi::xml_node& response) {
  return base::base64_decode(child_text(response, "output"));
}

core::Status create_tags(Ec2Client& client, const std::vector<std::string>& resource_ids,
                         const Tags& tags) {
  Params params;
  add_list(params, "ResourceId", resource_ids);
  add_tags(params, "Tag", tags);
  return call_status(client, "CreateTags", params);
}

core::Status delete_tags(Ec2Client& client, const std::vector<std::string>& resource_ids,
                         const std::vector<std::string>& keys) {
  Params params;
  add_list(params, "ResourceId", resource_ids);
  for (size_t i = 0; i < keys.size(); ++i)
    params.emplace_back("Tag." + std::to_string(i + 1) + ".Key", keys[i]);
  return call_status(client, "DeleteTags", params);
}

// InstanceInitiatedShutdownBehavior: what a shutdown from inside the instance does ("stop" or
// "terminate"); gpunb keeps it at "stop" (--autodown terminates through a presigned URL).
core::Status set_shutdown_behavior(Ec2Client& client, const std::string& instance_id,
                                   const std::string& behavior) {
  Params params = {{"InstanceId", instance_id},
                   {"InstanceInitiatedShutdownBehavior.Value", behavior}};
  return call_status(client, "ModifyInstanceAttribute", params);
}

}  // namespace gpunb::aws
