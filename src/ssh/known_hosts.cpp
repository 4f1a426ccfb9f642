#include "ssh/known_hosts.hpp"

#include <algorithm>
#include <sstream>

#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"
#include "ssh/keys.hpp"
#include "util/fs.hpp"

namespace gpunb::ssh {

namespace {

constexpr const char* kDefaultHostkeys =
    "ssh-ed25519,ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,ecdsa-sha2-nistp256,rsa-sha2-512,"
    "rsa-sha2-256";

bool names_alias(const std::string& names, const std::string& alias) {
  auto list = base::split(names, ',');
  return std::find(list.begin(), list.end(), alias) != list.end();
}

std::string changed_hint(const HostKeyCheck& check) {
  const auto& name = check.forget_name.empty() ? check.alias : check.forget_name;
  return "if the machine was rebuilt, run `gpunb forget-host " + name +
         "`; otherwise someone may be intercepting the connection";
}

bool vouched(const HostKeyCheck& check, const HostKey& key) {
  const auto& list = check.expected_fingerprints;
  return std::find(list.begin(), list.end(), key.fingerprint) != list.end();
}

core::Status pin(const HostKeyCheck& check, const HostKey& key) {
  try {
    pin_key(check.known_hosts, check.alias, key);
  } catch (const std::exception& error) {
    return core::fail(core::ErrorKind::internal,
                      std::string("cannot pin the host key: ") + error.what());
  }
  return {};
}

core::Error refusal(std::string message, std::string hint) {
  return {core::ErrorKind::refused, std::move(message), std::move(hint)};
}

// Nothing pinned yet: the first contact. Returns how the key is trusted, or the refusal.
core::Result<HostKeyTrust> judge_new_key(const HostKeyCheck& check, const HostKey& key,
                                         UserKnownHosts user, const std::string& target) {
  const auto& fingerprint = key.fingerprint;
  if (!check.expected_fingerprints.empty()) {
    if (vouched(check, key)) return HostKeyTrust::vouched;
    return tl::unexpected(refusal("host key " + fingerprint + " of " + target + " is not the one " +
                                      check.vouched_by + " reported; nothing was pinned",
                                  "someone may be intercepting the connection"));
  }
  if (user == UserKnownHosts::match) return HostKeyTrust::user_known_hosts;
  if (user == UserKnownHosts::changed) {
    return tl::unexpected(refusal(
        "host key " + fingerprint + " of " + target + " differs from the one in your known_hosts",
        "someone may be intercepting the connection; if the box was rebuilt, remove its old key "
        "with `ssh-keygen -R HOST`"));
  }
  if (check.trust_first_use) return HostKeyTrust::first_use;
  if (check.confirm) {
    if (check.confirm(key, target)) return HostKeyTrust::confirmed;
    return tl::unexpected(refusal("host key " + fingerprint + " of " + target + " not accepted",
                                  "nothing was pinned"));
  }
  auto reason =
      check.unverified_reason.empty() ? "nothing vouches for it" : check.unverified_reason;
  return tl::unexpected(refusal(
      "host key " + fingerprint + " of " + target + " is not verified: " + reason,
      check.unverified_hint.empty() ? "pass --host-key " + fingerprint + " once you have checked it"
                                    : check.unverified_hint));
}

}  // namespace

std::vector<HostKey> pinned_keys(const std::filesystem::path& known_hosts,
                                 const std::string& alias) {
  std::vector<HostKey> keys;
  auto content = base::read_file(known_hosts);
  if (!content) return keys;
  std::istringstream lines(*content);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string names, type, base64;
    if (!(fields >> names >> type >> base64) || names.starts_with('#')) continue;
    if (!names_alias(names, alias)) continue;
    keys.push_back({type, base64, fingerprint_of(type + " " + base64)});
  }
  return keys;
}

void pin_key(const std::filesystem::path& known_hosts, const std::string& alias,
             const HostKey& key) {
  util::ensure_private_dir(known_hosts.parent_path());
  auto content = base::read_file(known_hosts).value_or("");
  if (!content.empty() && content.back() != '\n') content += '\n';
  content += alias + " " + key.type + " " + key.base64 + "\n";
  core::value_or_throw(base::write_atomic(known_hosts, content, 0600));
}

core::Result<HostKeyTrust> verify_host_key(const HostKeyCheck& check, const HostKey& key,
                                           UserKnownHosts user, const std::string& target) {
  auto pinned = pinned_keys(check.known_hosts, check.alias);
  if (pinned.empty()) {
    auto trust = judge_new_key(check, key, user, target);
    if (!trust) return trust;
    TRY(pin(check, key));
    return trust;
  }
  for (const auto& known : pinned) {
    if (known.fingerprint == key.fingerprint) return HostKeyTrust::pinned;
  }
  return tl::unexpected(
      refusal("the host key of " + check.alias + " changed (now " + key.fingerprint + ")",
              changed_hint(check)));
}

std::string hostkey_preference(const std::vector<HostKey>& pinned) {
  if (pinned.empty()) return kDefaultHostkeys;
  auto first = pinned.front().type == "ssh-rsa" ? std::string("rsa-sha2-512,rsa-sha2-256")
                                                : pinned.front().type;
  std::vector<std::string> order = base::split(first, ',');
  for (auto& algorithm : base::split(kDefaultHostkeys, ',')) {
    if (std::find(order.begin(), order.end(), algorithm) == order.end()) order.push_back(algorithm);
  }
  return base::join(order, ",");
}

core::Result<bool> forget_host(const std::filesystem::path& known_hosts, const std::string& alias) {
  auto content = base::read_file(known_hosts);
  if (!content) return false;
  std::istringstream lines(*content);
  std::string line, kept;
  bool removed = false;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string names;
    if ((fields >> names) && !names.starts_with('#') && names_alias(names, alias)) {
      removed = true;
      continue;
    }
    kept += line + "\n";
  }
  if (!removed) return false;
  try {
    core::value_or_throw(base::write_atomic(known_hosts, kept, 0600));
  } catch (const std::exception& error) {
    return core::fail(core::ErrorKind::internal,
                      std::string("cannot rewrite ") + known_hosts.string() + ": " + error.what());
  }
  return true;
}

std::vector<std::string> fingerprints_from_console(std::string_view console_output) {
  constexpr std::string_view kBegin = "-----BEGIN SSH HOST KEY FINGERPRINTS-----";
  constexpr std::string_view kEnd = "-----END SSH HOST KEY FINGERPRINTS-----";
  std::vector<std::string> found;
  for (auto begin = console_output.find(kBegin); begin != std::string_view::npos;
       begin = console_output.find(kBegin, begin + kBegin.size())) {
    auto end = console_output.find(kEnd, begin);
    if (end == std::string_view::npos) break;  // a block cut short proves nothing
    auto block = console_output.substr(begin, end - begin);
    for (auto at = block.find("SHA256:"); at != std::string_view::npos;
         at = block.find("SHA256:", at + 1)) {
      auto stop = std::min(block.find_first_of(" \t\r\n", at), block.size());
      std::string fingerprint(block.substr(at, stop - at));
      if (std::find(found.begin(), found.end(), fingerprint) == found.end()) {
        found.push_back(fingerprint);
      }
    }
  }
  return found;
}

}  // namespace gpunb::ssh
