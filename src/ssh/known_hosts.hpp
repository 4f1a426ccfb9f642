// gpunb's own known_hosts file: "ALIAS KEYTYPE BASE64" lines, looked up by alias (never by
// address: a cloud machine changes its address at every start).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "ssh/session.hpp"

namespace gpunb::ssh {

// The keys pinned under ALIAS (usually zero or one).
std::vector<HostKey> pinned_keys(const std::filesystem::path& known_hosts,
                                 const std::string& alias);

// Appends "ALIAS TYPE BASE64" (atomic rewrite, 0600, parent folder 0700).
void pin_key(const std::filesystem::path& known_hosts, const std::string& alias,
             const HostKey& key);

// What the user's own known_hosts files say of a box's key (libssh reads them as OpenSSH does).
enum class UserKnownHosts { not_asked, match, changed, unknown };

// The whole decision: how the key is trusted (pinned now if it was not), or refused with nothing
// pinned. TARGET names the host in messages and at the prompt.
core::Result<HostKeyTrust> verify_host_key(const HostKeyCheck& check, const HostKey& key,
                                           UserKnownHosts user, const std::string& target);

// Host key algorithms for the KEX offer, the pinned key's type first, so that a server with
// several host keys shows the one we know.
std::string hostkey_preference(const std::vector<HostKey>& pinned);

}  // namespace gpunb::ssh
