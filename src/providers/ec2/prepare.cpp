#include "providers/ec2/prepare.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "aws/ec2_errors.hpp"
#include "base/expected.hpp"

namespace gpunb::providers::ec2 {

namespace {

using core::ErrorKind;

core::Status check_types(aws::Ec2Client& client, const core::MachineSpec& spec,
                         Prepared& prepared) {
  auto infos = aws::describe_instance_types(client, spec.types);
  TRY(infos);
  for (const auto& type : spec.types) {
    auto it = std::find_if(infos->begin(), infos->end(),
                           [&](const auto& info) { return info.name == type; });
    if (it == infos->end()) {
      return core::fail(ErrorKind::not_found,
                        "unknown instance type '" + type + "' in " + client.context().region,
                        "pick a GPU type such as g5.xlarge or g4dn.xlarge");
    }
    if (it->gpu_count == 0 && !spec.allow_cpu) {
      return core::fail(ErrorKind::refused, "instance type '" + type + "' has no GPU",
                        "pick a GPU type (g5.xlarge, g4dn.xlarge, ...) or pass --allow-cpu");
    }
    if (prepared.gpu_summary.empty()) prepared.gpu_summary = gpu_summary(*it);
  }
  prepared.types = spec.types;
  return {};
}

core::Status choose_image(aws::Ec2Client& client, const PrepareInput& input, Prepared& prepared) {
  const auto& spec = input.spec;
  auto images = spec.ami ? aws::describe_images(client, {}, {}, {*spec.ami})
                         : aws::describe_images(client, {"amazon"}, {input.image_pattern}, {});
  TRY(images);
  auto newest = aws::newest_image(*images);
  if (!newest) {
    return core::fail(ErrorKind::not_found,
                      spec.ami ? "image " + *spec.ami + " not found in " + client.context().region
                               : "no Deep Learning AMI matches '" + input.image_pattern + "'",
                      "pass --ami with an image id of this region");
  }
  prepared.image_id = newest->id;
  prepared.image_name = newest->name;
  prepared.user = spec.user ? *spec.user : aws::login_user_for(*newest);
  return {};
}

core::Status ensure_key_pair(aws::Ec2Client& client, const PrepareInput& input,
                             Prepared& prepared) {
  prepared.key_name = input.key_name;
  auto existing = aws::describe_key_pairs(client, {input.key_name});
  TRY(existing);
  if (!existing->empty()) return {};
  auto imported = aws::import_key_pair(client, input.key_name, input.public_key);
  // Another gpunb may have imported it a moment ago: the name is derived from the key itself.
  if (!imported && !aws::has_ec2_code(imported.error(), "InvalidKeyPair.Duplicate")) {
    return tl::unexpected(imported.error());
  }
  return {};
}

core::Status ensure_security_group(aws::Ec2Client& client, const PrepareInput& input,
                                   Prepared& prepared) {
  auto groups = aws::describe_security_groups(client, {input.group_name});
  TRY(groups);
  if (groups->empty()) {
    auto created = aws::create_security_group(
        client, input.group_name, "gpunb: SSH to machine " + input.spec.name + " from one address");
    if (!created && aws::has_ec2_code(created.error(), "InvalidGroup.Duplicate")) {
      return ensure_security_group(client, input, prepared);  // made by a concurrent run
    }
    TRY(created);
    prepared.security_group_id = *created;
  } else {
    prepared.security_group_id = groups->front().id;
  }
  aws::IngressRule rule{"tcp", 22, 22, {input.spec.ssh_cidr}};
  auto authorized = aws::authorize_ingress(client, prepared.security_group_id, rule);
  TRY(authorized);
  return {};
}

}  // namespace

std::string gpu_summary(const aws::InstanceTypeInfo& info) {
  if (info.gpu_count == 0) return "no GPU";
  return fmt::format("{} x {} {} ({} GiB)", info.gpu_count, info.gpu_manufacturer, info.gpu_name,
                     info.gpu_memory_mib / 1024);
}

core::Result<Prepared> prepare_machine(aws::Ec2Client& client, const PrepareInput& input,
                                       const Progress& progress) {
  Prepared prepared;
  progress("checking instance types " + fmt::format("{}", fmt::join(input.spec.types, ", ")),
           Importance::step);
  TRY(check_types(client, input.spec, prepared));
  progress("choosing the image", Importance::step);
  TRY(choose_image(client, input, prepared));
  progress("importing the SSH key and opening port 22 to " + input.spec.ssh_cidr, Importance::step);
  TRY(ensure_key_pair(client, input, prepared));
  TRY(ensure_security_group(client, input, prepared));
  return prepared;
}

core::Status release_resources(aws::Ec2Client& client, const std::string& group_name,
                               const std::string& key_name) {
  auto groups = aws::describe_security_groups(client, {group_name});
  TRY(groups);
  for (const auto& group : *groups) {
    if (auto deleted = aws::delete_security_group(client, group.id); !deleted) return deleted;
  }
  auto users = aws::describe_instances(
      client,
      {{"key-name", {key_name}},
       {"instance-state-name", {"pending", "running", "stopping", "stopped", "shutting-down"}}},
      {});
  TRY(users);
  if (!users->empty()) return {};
  return aws::delete_key_pair(client, key_name);
}

}  // namespace gpunb::providers::ec2
