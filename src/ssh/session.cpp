// Session lifetime, run (collect output) and exec (streaming channel).
#include <libssh/libssh.h>

#include <algorithm>
#include <array>

#include "base/expected.hpp"
#include "ssh/session_impl.hpp"

namespace gpunb::ssh {

namespace {

using Clock = std::chrono::steady_clock;

core::Status write_all(ssh_channel channel, std::string_view data, const std::string& target) {
  while (!data.empty()) {
    auto chunk = static_cast<uint32_t>(std::min<size_t>(data.size(), 1 << 20));
    int written = ssh_channel_write(channel, data.data(), chunk);
    if (written <= 0) {
      return core::fail(core::ErrorKind::network, "SSH: cannot write to " + target);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return {};
}

// Reads what is there of one stream; false once it is at its end.
bool drain(ssh_channel channel, bool is_stderr, std::string& out, bool& failed) {
  std::array<char, 65536> buffer{};
  int count = ssh_channel_read_nonblocking(channel, buffer.data(), buffer.size(), is_stderr);
  if (count > 0) out.append(buffer.data(), static_cast<size_t>(count));
  if (count == SSH_ERROR) failed = true;
  return count > 0 || (count == 0 && !ssh_channel_is_eof(channel));
}

core::Status collect(ssh_channel channel, ExecResult& result, Clock::time_point deadline,
                     const std::string& target) {
  bool failed = false;
  while (true) {
    bool out_open = drain(channel, false, result.out, failed);
    bool err_open = drain(channel, true, result.err, failed);
    if (failed)
      return core::fail(core::ErrorKind::network, "SSH: connection to " + target + " lost");
    if (!out_open && !err_open) return {};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return core::fail(core::ErrorKind::network, "SSH: a command on " + target + " timed out");
    }
    ssh_channel_poll_timeout(channel, static_cast<int>(std::min<long>(left.count(), 100)), 0);
  }
}

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

core::Result<ChannelHandle> open_exec(ssh_session session, const std::string& command,
                                      const std::string& target) {
  ChannelHandle channel(ssh_channel_new(session));
  if (!channel || ssh_channel_open_session(channel.get()) != SSH_OK) {
    return core::fail(core::ErrorKind::network,
                      "SSH: cannot open a channel to " + target + ": " + session_error(session));
  }
  if (ssh_channel_request_exec(channel.get(), command.c_str()) != SSH_OK) {
    return core::fail(core::ErrorKind::network,
                      "SSH: cannot run a command on " + target + ": " + session_error(session));
  }
  return channel;
}

core::Result<ExecResult> Session::run(const std::string& command, std::string_view input,
                                      std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto channel = open_exec(impl_->session.get(), command, impl_->target);
  TRY(channel);
  TRY(write_all(channel->get(), input, impl_->target));
  ssh_channel_send_eof(channel->get());
  ExecResult result;
  TRY(collect(channel->get(), result, deadline, impl_->target));
  result.exit_status = ssh_channel_get_exit_status(channel->get());
  ssh_channel_close(channel->get());
  return result;
}

core::Result<Channel> Session::exec(const std::string& command) {
  auto channel = open_exec(impl_->session.get(), command, impl_->target);
  TRY(channel);
  return Channel(std::make_unique<Channel::Impl>(
      Channel::Impl{impl_->session, std::move(*channel), impl_->target, {}, {}}));
}

std::string Session::home() {
  if (impl_->home) return *impl_->home;
  auto sftp = this->sftp();
  if (!sftp) return {};
  auto home = sftp->canonical("~");
  if (!home) return {};
  impl_->home = *home;
  return *home;
}

std::string Session::host_fingerprint() const {
  return impl_->fingerprint;
}

HostKeyTrust Session::host_key_trust() const {
  return impl_->trust;
}

}  // namespace gpunb::ssh
