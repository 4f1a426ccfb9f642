// The user's gpunb SSH key: an ed25519 pair made on this machine; the private half never leaves it.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace gpunb::ssh {

struct KeyPair {
  std::filesystem::path private_path;  // mode 0600
  std::string public_openssh;          // "ssh-ed25519 AAAA... gpunb"
  std::string fingerprint;             // "SHA256:..." as ssh-keygen -l prints it
};

// Loads the key at `private_path`, or makes one there (0600, in a 0700 folder) when absent.
// A key file that group or others can read is refused, as OpenSSH refuses it.
core::Result<KeyPair> load_or_create_key(const std::filesystem::path& private_path);

// "SHA256:..." fingerprint of an OpenSSH public key line; empty when it cannot be parsed.
std::string fingerprint_of(const std::string& public_openssh);

}  // namespace gpunb::ssh
