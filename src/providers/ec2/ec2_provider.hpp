// EC2: machines from the EC2 Query API, one region per provider object.
#pragma once

#include <memory>
#include <string>

#include "aws/ec2_client.hpp"
#include "providers/provider.hpp"

namespace gpunb::providers::ec2 {

struct Ec2Settings {
  std::string public_key;  // OpenSSH line of the user's gpunb key
  std::string owner;       // user@host, for the gpunb:owner tag
  std::string default_image_pattern = "Deep Learning*GPU*PyTorch*Ubuntu*";
};

// Tags every gpunb instance carries.
inline constexpr const char* kNameTag = "gpunb:name";
inline constexpr const char* kOwnerTag = "gpunb:owner";
inline constexpr const char* kUserTag = "gpunb:user";
// Set by the machine's watcher (through a presigned CreateTags) when it stopped the machine:
// "autodown" (unpulled work kept it from terminating) or "max-hours" (the cap).
inline constexpr const char* kStoppedByTag = "gpunb:stopped-by";

std::unique_ptr<Provider> make_ec2_provider(aws::Ec2Client& client, Ec2Settings settings);

// Key pair name for a public key: stable per key, so importing is idempotent per fingerprint.
std::string key_pair_name(const std::string& public_key);
std::string security_group_name(const std::string& machine_name);

}  // namespace gpunb::providers::ec2
