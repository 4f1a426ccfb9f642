// RunInstances with failover: every zone of the region, then each fallback type.
#pragma once

#include <string>

#include "aws/ec2_api.hpp"
#include "aws/ec2_client.hpp"
#include "providers/provider.hpp"

namespace gpunb::providers::ec2 {

struct LaunchInput {
  const core::MachineSpec& spec;
  const Prepared& prepared;
  std::string client_token;  // base token; each (type, zone) attempt derives its own
  std::string owner;
};

core::Result<aws::Instance> launch_with_failover(aws::Ec2Client& client, const LaunchInput& input,
                                                 const Progress& progress);

// Deterministic per (base, type, zone), at most 64 characters, so a rerun of the same
// attempt is idempotent at EC2.
std::string attempt_token(const std::string& base, const std::string& type,
                          const std::string& zone);

}  // namespace gpunb::providers::ec2
