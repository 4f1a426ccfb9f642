// The EC2 actions gpunb uses, as typed functions over Ec2Client. Each action has a parse_*
// function over the response element (e.g. <DescribeImagesResponse>) so tests can feed XML files.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ec2_client.hpp"
#include "core/error.hpp"

namespace gpunb::aws {

using Tags = std::map<std::string, std::string>;

struct Filter {
  std::string name;  // e.g. "tag:gpunb:name", "instance-state-name"
  std::vector<std::string> values;
};

// ---- images and instance types ----

struct Image {
  std::string id;
  std::string name;
  std::string creation_date;  // ISO 8601, as EC2 sends it
  std::string owner_id;
  std::string platform_details;
  std::string description;
  std::string architecture;
  std::string state;
  std::string root_device_name;
};

struct InstanceTypeInfo {
  std::string name;
  int vcpus = 0;
  std::int64_t memory_mib = 0;
  int gpu_count = 0;  // 0 for CPU types
  std::string gpu_name;
  std::string gpu_manufacturer;
  std::int64_t gpu_memory_mib = 0;  // per GPU
  std::int64_t total_gpu_memory_mib = 0;
};

// Any of the lists may be empty (no constraint). Patterns match the image name ("*" wildcards).
core::Result<std::vector<Image>> describe_images(Ec2Client& client,
                                                 const std::vector<std::string>& owners,
                                                 const std::vector<std::string>& name_patterns,
                                                 const std::vector<std::string>& image_ids);
std::vector<Image> parse_images(const pugi::xml_node& response);
// The available image with the latest creation date.
std::optional<Image> newest_image(const std::vector<Image>& images);
std::string login_user_for(const Image& image);  // "ubuntu", "ec2-user" or "admin"

// Empty `types`: every type the region offers (paginated).
core::Result<std::vector<InstanceTypeInfo>> describe_instance_types(
    Ec2Client& client, const std::vector<std::string>& types);
std::vector<InstanceTypeInfo> parse_instance_types(const pugi::xml_node& response);

core::Result<std::vector<std::string>> describe_regions(Ec2Client& client);
std::vector<std::string> parse_regions(const pugi::xml_node& response);
// Zones of the client's region in state "available".
core::Result<std::vector<std::string>> describe_availability_zones(Ec2Client& client);
std::vector<std::string> parse_availability_zones(const pugi::xml_node& response);

// ---- key pairs and security groups ----

struct KeyPairInfo {
  std::string name;
  std::string id;
  std::string fingerprint;
};

// `openssh_public_key`: the text of an id_*.pub file ("ssh-ed25519 AAAA... comment").
core::Result<KeyPairInfo> import_key_pair(Ec2Client& client, const std::string& name,
                                          const std::string& openssh_public_key);
KeyPairInfo parse_imported_key_pair(const pugi::xml_node& response);
// Names that do not exist yield an empty list, not an error.
core::Result<std::vector<KeyPairInfo>> describe_key_pairs(Ec2Client& client,
                                                          const std::vector<std::string>& names);
std::vector<KeyPairInfo> parse_key_pairs(const pugi::xml_node& response);
core::Status delete_key_pair(Ec2Client& client, const std::string& name);

struct IngressRule {
  std::string protocol;  // "tcp", "udp", "icmp", "-1"
  int from_port = 0;
  int to_port = 0;
  std::vector<std::string> cidrs;  // IPv4, e.g. "203.0.113.7/32"
};

struct SecurityGroup {
  std::string id;
  std::string name;
  std::string description;
  std::vector<IngressRule> ingress;
};

// Returns the new group's id (in the default VPC).
core::Result<std::string> create_security_group(Ec2Client& client, const std::string& name,
                                                const std::string& description);
// By names and/or filters; names that do not exist yield an empty list, not an error.
core::Result<std::vector<SecurityGroup>> describe_security_groups(
    Ec2Client& client, const std::vector<std::string>& group_names,
    const std::vector<Filter>& filters = {});
std::vector<SecurityGroup> parse_security_groups(const pugi::xml_node& response);
// A rule that already exists is success.
core::Status authorize_ingress(Ec2Client& client, const std::string& group_id,
                               const IngressRule& rule);
core::Status delete_security_group(Ec2Client& client, const std::string& group_id);

// ---- instances ----

struct RunRequest {
  std::string image_id;
  std::string type;
  std::string key_name;
  std::string security_group_id;
  std::string client_token;  // idempotency: the same token never launches twice
  Tags tags;
  int disk_gb = 100;
  std::optional<std::string> zone;
  bool spot = false;  // persistent spot request that stops on interruption
  std::string root_device_name = "/dev/sda1";
};

struct Instance {
  std::string id;
  std::string type;
  std::string state;  // EC2's name: pending, running, stopping, stopped, shutting-down, terminated
  std::string public_ip;  // empty when none
  std::string private_ip;
  std::string zone;
  std::string image_id;
  std::string key_name;
  std::int64_t launch_time = 0;  // unix seconds
  std::string client_token;
  std::string lifecycle;     // "spot" for spot instances, empty for on-demand
  std::string state_reason;  // StateReason code, e.g. "Server.SpotInstanceTermination"
  // From StateTransitionReason "... (YYYY-MM-DD HH:MM:SS GMT)", unix seconds; 0: none.
  std::int64_t transition_time = 0;
  Tags tags;
  std::vector<std::string> security_group_ids;
};

// The time in EC2's StateTransitionReason, e.g. "User initiated (2024-02-03 04:05:06 GMT)" or
// "Service initiated (...)", as unix seconds; 0 when the text has none or it is malformed.
std::int64_t parse_transition_time(std::string_view reason);

struct StateChange {
  std::string id;
  std::string previous;
  std::string current;
};

core::Result<Instance> run_instances(Ec2Client& client, const RunRequest& request);
Params run_instances_params(const RunRequest& request);
std::vector<Instance> parse_run_instances(const pugi::xml_node& response);
// Follows NextToken to the last page. With no ids, every instance matching the filters.
core::Result<std::vector<Instance>> describe_instances(Ec2Client& client,
                                                       const std::vector<Filter>& filters,
                                                       const std::vector<std::string>& ids);
std::vector<Instance> parse_instances(const pugi::xml_node& response);  // one page
std::string parse_next_token(const pugi::xml_node& response);           // empty on the last page

core::Result<std::vector<StateChange>> start_instances(Ec2Client& client,
                                                       const std::vector<std::string>& ids);
core::Result<std::vector<StateChange>> stop_instances(Ec2Client& client,
                                                      const std::vector<std::string>& ids);
core::Result<std::vector<StateChange>> terminate_instances(Ec2Client& client,
                                                           const std::vector<std::string>& ids);
std::vector<StateChange> parse_state_changes(const pugi::xml_node& response);

// The decoded console text; empty when EC2 has none yet. `latest`: the live serial console
// (Nitro types only; EC2 answers UnsupportedOperation elsewhere) instead of the buffered copy,
// which EC2 posts minutes after the instance runs.
core::Result<std::string> get_console_output(Ec2Client& client, const std::string& instance_id,
                                             bool latest);
std::string parse_console_output(const pugi::xml_node& response);

// ---- prices ----

struct SpotPrice {
  std::string zone;
  std::string type;
  double price = 0;  // dollars per hour
  std::int64_t time = 0;
};

// The Linux/UNIX spot price of `type` in effect at `now` (unix seconds), one per zone of the
// client's region.
core::Result<std::vector<SpotPrice>> describe_spot_prices(Ec2Client& client,
                                                          const std::string& type,
                                                          std::int64_t now);
std::vector<SpotPrice> parse_spot_prices(const pugi::xml_node& response);

core::Status create_tags(Ec2Client& client, const std::vector<std::string>& resource_ids,
                         const Tags& tags);
core::Status delete_tags(Ec2Client& client, const std::vector<std::string>& resource_ids,
                         const std::vector<std::string>& keys);
// ModifyInstanceAttribute InstanceInitiatedShutdownBehavior: "stop" or "terminate".
core::Status set_shutdown_behavior(Ec2Client& client, const std::string& instance_id,
                                   const std::string& behavior);

}  // namespace gpunb::aws
