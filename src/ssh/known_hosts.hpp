// gpunb's own known_hosts file: "ALIAS KEYTYPE BASE64" lines, looked up by alias (never by
// address: a cloud machine changes its address at every start).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "ssh/session.hpp"

namespace gpunb::ssh {

struct HostKey {
  std::string type;         // "ssh-ed25519"
  std::string base64;       // the key blob
  std::string fingerprint;  // "SHA256:..."
};

// The keys pinned under ALIAS (usually zero or one).
std::vector<HostKey> pinned_keys(const std::filesystem::path& known_hosts,
                                 const std::string& alias);

// Appends "ALIAS TYPE BASE64" (atomic rewrite, 0600, parent folder 0700).
void pin_key(const std::filesystem::path& known_hosts, const std::string& alias,
             const HostKey& key);

// The whole decision: ok (maybe after pinning on first use) or refused.
core::Status verify_host_key(const HostKeyCheck& check, const HostKey& key);

// Host key algorithms for the KEX offer, the pinned key's type first, so that a server with
// several host keys shows the one we know.
std::string hostkey_preference(const std::vector<HostKey>& pinned);

}  // namespace gpunb::ssh
