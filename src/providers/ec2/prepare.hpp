// Before a launch: check the types, pick the image, import the key, make the firewall.
#pragma once

#include <string>

#include "aws/ec2_api.hpp"
#include "aws/ec2_client.hpp"
#include "providers/provider.hpp"

namespace gpunb::providers::ec2 {

struct PrepareInput {
  const core::MachineSpec& spec;
  std::string public_key;
  std::string key_name;
  std::string group_name;
  std::string image_pattern;
};

core::Result<Prepared> prepare_machine(aws::Ec2Client& client, const PrepareInput& input,
                                       const Progress& progress);

// Deletes the machine's security group and, when no instance uses it any more, the key pair.
core::Status release_resources(aws::Ec2Client& client, const std::string& group_name,
                               const std::string& key_name);

std::string gpu_summary(const aws::InstanceTypeInfo& info);

}  // namespace gpunb::providers::ec2
