#include "ssh/tunnel_pipe.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "util/platform.hpp"

namespace gpunb::ssh {

Pipe::Pipe(Fd client, SteadyClock::time_point accepted)
    : client_(std::move(client)), since_(accepted) {}

short Pipe::poll_events() const {
  if (phase_ != Phase::open) return 0;
  short events = down_.empty() ? 0 : POLLOUT;
  if (!client_eof_ && up_.empty() && ssh_channel_window_size(channel_.get()) > 0) events |= POLLIN;
  return events;
}

void Pipe::open(ssh_session session, const Forward& forward, SteadyClock::time_point now) {
  if (phase_ == Phase::waiting) {
    channel_.reset(ssh_channel_new(session));
    if (!channel_) return close();
    phase_ = Phase::opening;
    since_ = now;
  }
  if (phase_ != Phase::opening) return;
  int rc = ssh_channel_open_forward(channel_.get(), forward.host.c_str(), forward.port, "127.0.0.1",
                                    forward.local_port);
  if (rc == SSH_OK) phase_ = Phase::open;
  if (rc == SSH_ERROR) close();  // refused: nothing listens there, or forwarding is off
}

void Pipe::serve(short revents, std::span<char> scratch) {
  if (phase_ != Phase::open) return;
  if (revents & POLLERR) return close();
  flush_pending();
  if ((revents & (POLLIN | POLLHUP)) && up_.empty() && !client_eof_) from_client(scratch);
  if (phase_ == Phase::open && down_.empty()) from_channel(scratch);
  if (phase_ == Phase::open) settle();
}

void Pipe::flush_pending() {
  if (!down_.empty()) {
    std::string pending = std::move(down_);
    down_.clear();
    to_client(pending);
  }
  if (phase_ == Phase::open && !up_.empty()) {
    std::string pending = std::move(up_);
    up_.clear();
    to_channel(pending);
  }
}

void Pipe::from_client(std::span<char> scratch) {
  auto room = std::min<size_t>(ssh_channel_window_size(channel_.get()), scratch.size());
  if (room == 0) return;
  auto count = ::recv(client_.get(), scratch.data(), room, 0);
  if (count == 0) client_eof_ = true;
  if (count < 0 && errno != EAGAIN && errno != EINTR) return close();
  if (count <= 0) return;
  bytes_up_ += static_cast<uint64_t>(count);
  to_channel({scratch.data(), static_cast<size_t>(count)});
}

void Pipe::to_channel(std::string_view data) {
  int written = ssh_channel_write(channel_.get(), data.data(), static_cast<uint32_t>(data.size()));
  if (written == SSH_ERROR) return close();
  auto taken = static_cast<size_t>(std::max(written, 0));
  if (taken < data.size()) up_.assign(data.substr(taken));  // e.g. while keys are re-exchanged
}

void Pipe::from_channel(std::span<char> scratch) {
  int count = ssh_channel_read_nonblocking(channel_.get(), scratch.data(),
                                           static_cast<uint32_t>(scratch.size()), 0);
  filled_ = count == static_cast<int>(scratch.size());
  if (count == SSH_ERROR) return close();
  if (count <= 0) return;
  bytes_down_ += static_cast<uint64_t>(count);
  to_client({scratch.data(), static_cast<size_t>(count)});
}

void Pipe::to_client(std::string_view data) {
  auto sent = util::platform::send_some(client_.get(), data.data(), data.size());
  if (sent < 0 && errno != EAGAIN && errno != EINTR) return close();
  auto taken = static_cast<size_t>(std::max<ssize_t>(sent, 0));
  if (taken < data.size()) down_.assign(data.substr(taken));
}

// Half-closes each way once its data is through; done when both ways are finished.
void Pipe::settle() {
  if (client_eof_ && up_.empty() && !eof_sent_) {
    ssh_channel_send_eof(channel_.get());
    eof_sent_ = true;
  }
  bool server_done = ssh_channel_is_eof(channel_.get()) != 0;
  if (server_done && down_.empty() && !client_shut_) {
    ::shutdown(client_.get(), SHUT_WR);
    client_shut_ = true;
  }
  if (client_shut_ && (eof_sent_ || ssh_channel_is_closed(channel_.get()))) close();
}

void Pipe::lose_session() {
  if (phase_ == Phase::opening) {
    channel_.reset();
    phase_ = Phase::waiting;  // nothing was sent yet: it can wait for the next session
    return;
  }
  if (phase_ == Phase::open) close();
}

void Pipe::close() {
  if (channel_ && phase_ == Phase::open) ssh_channel_close(channel_.get());
  channel_.reset();
  client_.reset();
  phase_ = Phase::done;
}

}  // namespace gpunb::ssh
