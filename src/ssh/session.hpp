// One SSH connection per machine (libssh, in-process): exec channels, SFTP, forwarded TCP.
// Host keys are verified against gpunb's own known_hosts, never blindly accepted.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace gpunb::ssh {

struct HostKey {
  std::string type;         // "ssh-ed25519"
  std::string base64;       // the key blob
  std::string fingerprint;  // "SHA256:..."
};

// How the key of a session came to be trusted.
enum class HostKeyTrust {
  pinned,            // gpunb pinned it before
  vouched,           // one of expected_fingerprints (the cloud's console output, --host-key)
  user_known_hosts,  // the user's own known_hosts lists it (an ssh box)
  confirmed,         // the user said yes at the prompt
  first_use,         // not verified: trust_first_use
};

// What decides a host key. Fails closed: a key nothing vouches for is refused unless the caller
// trusts it on first use or the user confirms it.
struct HostKeyCheck {
  std::filesystem::path known_hosts;  // gpunb's own file (OpenSSH format), never ~/.ssh/known_hosts
  std::string alias;                  // the name the key is pinned under, e.g. "gpunb-i-0abc..."
  // SHA256:... fingerprints vouched for out of band; when not empty, the server's key must be
  // one of them before it is pinned.
  std::vector<std::string> expected_fingerprints;
  std::string vouched_by = "the cloud";  // who gave them, for messages ("--host-key")
  // An ssh box: the user's ~/.ssh/known_hosts (and /etc/ssh/ssh_known_hosts, and the config's
  // UserKnownHostsFile), read by libssh as OpenSSH reads them, never written.
  bool consult_user_known_hosts = false;
  bool trust_first_use = false;  // pin a key nothing vouches for (--trust-first-use)
  // Asked when nothing vouches for the key (on a terminal): true pins it. Empty: refuse.
  std::function<bool(const HostKey& key, const std::string& target)> confirm;
  // Why nothing vouches for the key, and what to do: the words of that refusal.
  std::string unverified_reason;
  std::string unverified_hint;
  // The name the user knows the machine by, for the hint `gpunb forget-host NAME` when the key
  // changed; the alias when empty.
  std::string forget_name;
};

struct ConnectOptions {
  std::string host;
  int port = 22;
  std::string user;
  std::vector<std::filesystem::path> identities;  // tried first, then ssh-agent, then ~/.ssh keys
  HostKeyCheck host_key;
  bool use_ssh_config = true;  // ~/.ssh/config (and its User/Port/IdentityFile for the host)
  std::chrono::seconds connect_timeout{10};
};

struct ExecResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

class Session;

// A streaming exec channel (e.g. the agent's JSON lines). Move-only; closes on destruction.
class Channel {
 public:
  Channel(Channel&&) noexcept;
  Channel& operator=(Channel&&) noexcept;
  ~Channel();
  core::Status write(std::string_view data);
  // One line without its '\n'; network error on timeout or EOF.
  core::Result<std::string> read_line(std::chrono::milliseconds timeout);
  // Raw stdout bytes (what read_line has buffered first): up to MAX into BUFFER, 0 when nothing
  // came within TIMEOUT (0 ms: only what is already there); network error at EOF.
  core::Result<size_t> read(char* buffer, size_t max, std::chrono::milliseconds timeout);
  core::Status send_eof();
  int exit_status();  // -1 while unknown (never blocks)
  // What the command wrote to stderr so far (its last 64 KiB); drained while reading lines, so a
  // chatty stderr never stalls the command.
  const std::string& error_output() const;

  struct Impl;
  explicit Channel(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// SFTP over the session. Paths on the remote side; "~/" is the login home.
class Sftp {
 public:
  Sftp(Sftp&&) noexcept;
  Sftp& operator=(Sftp&&) noexcept;
  ~Sftp();
  core::Result<bool> exists(const std::string& path);
  core::Status mkdir_p(const std::string& path, int mode = 0700);
  // Writes to PATH.tmp-XXXX, then renames over PATH: a reader never sees half a file.
  core::Status upload(const std::filesystem::path& local, const std::string& remote, int mode);
  core::Status write_file(const std::string& remote, std::string_view content, int mode);
  core::Result<std::string> read_file(const std::string& remote);
  // The absolute path the server resolves PATH to ("~" and "~/x" from the login home).
  core::Result<std::string> canonical(const std::string& path);

  struct Impl;
  explicit Sftp(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class Session {
 public:
  // Connects, verifies (and on first contact pins) the host key, then authenticates: nothing of
  // ours reaches a host whose key is not verified. Errors: network (unreachable, timeout),
  // refused (host key changed, not the one vouched for, or unverified), credentials (no key
  // accepted).
  static core::Result<Session> connect(const ConnectOptions& options);
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  core::Result<ExecResult> run(const std::string& command, std::string_view input = {},
                               std::chrono::milliseconds timeout = std::chrono::seconds(60));
  core::Result<Channel> exec(const std::string& command);
  core::Result<Sftp> sftp();
  std::string home();                    // the remote login home, asked once
  std::string host_fingerprint() const;  // SHA256:... of the verified host key
  HostKeyTrust host_key_trust() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Forgets the key pinned under `alias` (gpunb forget-host). False when there was none.
core::Result<bool> forget_host(const std::filesystem::path& known_hosts, const std::string& alias);

// Parses "SHA256:..." fingerprints out of cloud-init's console output block
// (-----BEGIN SSH HOST KEY FINGERPRINTS----- ... -----END...).
std::vector<std::string> fingerprints_from_console(std::string_view console_output);

}  // namespace gpunb::ssh
