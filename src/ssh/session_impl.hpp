// What Session, Channel, Sftp and Tunnel share inside the ssh layer (not part of the public API).
#pragma once

#include <optional>
#include <string>

#include "ssh/handles.hpp"
#include "ssh/session.hpp"

namespace gpunb::ssh {

struct Session::Impl {
  SharedSession session;
  std::string fingerprint;  // SHA256:... of the verified host key
  std::string target;       // user@host:port, for messages
  std::optional<std::string> home;
  HostKeyTrust trust = HostKeyTrust::pinned;
};

// Members in this order: the session is released last.
struct Channel::Impl {
  SharedSession session;
  ChannelHandle channel;
  std::string target;
  std::string pending;  // stdout read but not yet returned as a line
  std::string errors;   // stderr tail
};

struct Sftp::Impl {
  SharedSession session;
  SftpHandle sftp;
  std::string target;
  std::optional<std::string> home;
};

// Opens a session channel and starts COMMAND in it (blocking, with the session's timeout).
core::Result<ChannelHandle> open_exec(ssh_session session, const std::string& command,
                                      const std::string& target);

// Single-quotes TEXT for a POSIX shell.

}  // namespace gpunb::ssh
