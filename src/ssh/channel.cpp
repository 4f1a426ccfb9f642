// Channel: a streaming exec channel (the agent's JSON lines).
#include <libssh/libssh.h>

#include <array>
#include <cstring>

#include "ssh/session_impl.hpp"

namespace gpunb::ssh {

namespace {

constexpr size_t kErrorTail = 64 * 1024;
// A line longer than this with no '\n' is an error, never unbounded memory: the agent's longest
// reply (fs.list of a large workspace) is far shorter.
constexpr size_t kMaxLine = size_t{64} << 20U;

using Clock = std::chrono::steady_clock;

void keep_tail(std::string& text) {
  if (text.size() > kErrorTail) text.erase(0, text.size() - kErrorTail);
}

// Moves what the channel holds into the buffers; SSH_ERROR on a broken session.
int pull(Channel::Impl& impl) {
  std::array<char, 65536> buffer{};
  int err = ssh_channel_read_nonblocking(impl.channel.get(), buffer.data(), buffer.size(), 1);
  if (err > 0) impl.errors.append(buffer.data(), static_cast<size_t>(err));
  keep_tail(impl.errors);
  int out = ssh_channel_read_nonblocking(impl.channel.get(), buffer.data(), buffer.size(), 0);
  if (out > 0) impl.pending.append(buffer.data(), static_cast<size_t>(out));
  return out == SSH_ERROR || err == SSH_ERROR ? SSH_ERROR : std::max(out, 0) + std::max(err, 0);
}

}  // namespace

Channel::Channel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Channel::Channel(Channel&&) noexcept = default;
Channel& Channel::operator=(Channel&&) noexcept = default;
Channel::~Channel() {
  if (impl_ && impl_->channel) ssh_channel_close(impl_->channel.get());
}

core::Status Channel::write(std::string_view data) {
  while (!data.empty()) {
    int written = ssh_channel_write(impl_->channel.get(), data.data(),
                                    static_cast<uint32_t>(std::min<size_t>(data.size(), 1 << 20)));
    if (written <= 0) {
      return core::fail(core::ErrorKind::network, "SSH: cannot write to " + impl_->target);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return {};
}

core::Result<std::string> Channel::read_line(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (size_t scanned = 0;;) {
    if (auto end = impl_->pending.find('\n', scanned); end != std::string::npos) {
      std::string line = impl_->pending.substr(0, end);
      impl_->pending.erase(0, end + 1);
      return line;
    }
    scanned = impl_->pending.size();
    if (scanned > kMaxLine) {
      return core::fail(core::ErrorKind::internal,
                        "SSH: " + impl_->target + " sent a line of over " +
                            std::to_string(kMaxLine >> 20U) + " MiB with no end",
                        "the machine did not answer as gpunb-agent does; check what runs there");
    }
    if (pull(*impl_) > 0) continue;
    if (ssh_channel_is_eof(impl_->channel.get())) {
      return core::fail(core::ErrorKind::network,
                        "SSH: the command on " + impl_->target + " ended");
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || !ssh_is_connected(impl_->session.get())) {
      return core::fail(core::ErrorKind::network,
                        "SSH: no answer from " + impl_->target + " in time");
    }
    ssh_channel_poll_timeout(impl_->channel.get(),
                             static_cast<int>(std::min<long>(left.count(), 50)), 0);
  }
}

core::Result<size_t> Channel::read(char* buffer, size_t max, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (!impl_->pending.empty()) {
      size_t n = std::min(max, impl_->pending.size());
      std::memcpy(buffer, impl_->pending.data(), n);
      impl_->pending.erase(0, n);
      return n;
    }
    if (pull(*impl_) > 0) continue;
    if (ssh_channel_is_eof(impl_->channel.get())) {
      return core::fail(core::ErrorKind::network,
                        "SSH: the command on " + impl_->target + " ended");
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return size_t{0};
    if (!ssh_is_connected(impl_->session.get())) {
      return core::fail(core::ErrorKind::network,
                        "SSH: the connection to " + impl_->target + " broke");
    }
    ssh_channel_poll_timeout(impl_->channel.get(),
                             static_cast<int>(std::min<long>(left.count(), 50)), 0);
  }
}

core::Status Channel::send_eof() {
  if (ssh_channel_send_eof(impl_->channel.get()) == SSH_OK) return {};
  return core::fail(core::ErrorKind::network, "SSH: cannot close the input on " + impl_->target);
}

int Channel::exit_status() {
  ssh_session session = impl_->session.get();
  int blocking = ssh_is_blocking(session);
  ssh_set_blocking(session, 0);  // poll once, never wait
  pull(*impl_);
  int status = ssh_channel_get_exit_status(impl_->channel.get());
  ssh_set_blocking(session, blocking);
  return status;
}

const std::string& Channel::error_output() const {
  return impl_->errors;
}

}  // namespace gpunb::ssh
