#include "ssh/tunnel_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gpunb::ssh {

namespace {

constexpr size_t kScratch = 256 * 1024;
constexpr size_t kMaxClients = 256;
constexpr auto kClientWait = std::chrono::seconds(10);  // a client waits this long for a session
constexpr auto kReport = std::chrono::seconds(1);
constexpr int kIdlePollMs = 100;

}  // namespace

TunnelLoop::TunnelLoop(Tunnel::Impl& tunnel, Session session, const std::atomic<bool>& stop)
    : tunnel_(tunnel),
      stop_(stop),
      forward_{tunnel.options.remote_host, tunnel.options.remote_port, tunnel.listener.port},
      link_(std::make_unique<Link>(
          std::move(session),
          KeepalivePolicy{tunnel.options.keepalive_interval, tunnel.options.keepalive_misses})),
      scratch_(kScratch) {
  if (!tunnel_.reconnector) {
    tunnel_.reconnector =
        std::make_unique<Reconnector>(tunnel.options.reconnect, tunnel.options.max_backoff);
  }
}

core::Status TunnelLoop::run() {
  while (!stop_.load()) {
    if (auto status = step(); !status) return status;
  }
  for (auto& pipe : pipes_) pipe->close();
  collect();
  set_state(TunnelState::stopped);
  report(SteadyClock::now());
  return {};
}

core::Status TunnelLoop::step() {
  build_poll_set(SteadyClock::now());
  int ready = ::poll(fds_.data(), fds_.size(), poll_timeout(SteadyClock::now()));
  if (ready < 0 && errno != EINTR) {
    return core::fail(core::ErrorKind::internal, std::string("poll: ") + std::strerror(errno));
  }
  auto now = SteadyClock::now();
  if (fds_[0].revents & POLLIN) accept_clients(now);
  if (link_) {
    serve_connected(now);
    if (!link_->check(now)) {
      if (auto status = lose_link(now); !status) return status;
    }
  } else {
    reconnect(now);
  }
  expire(now);
  collect();
  report(now);
  return {};
}

// fds_[0]: the listener, fds_[1]: the SSH socket, then one entry per pipe (in pipes_ order).
void TunnelLoop::build_poll_set(SteadyClock::time_point) {
  fds_.resize(2 + pipes_.size());
  fds_[0] = {tunnel_.listener.fd.get(),
             static_cast<short>(pipes_.size() < kMaxClients ? POLLIN : 0), 0};
  fds_[1] = {link_ ? link_->fd() : -1, link_ ? link_->poll_events() : short{0}, 0};
  for (size_t i = 0; i < pipes_.size(); ++i) {
    short events = pipes_[i]->poll_events();
    fds_[2 + i] = {events != 0 ? pipes_[i]->fd() : -1, events, 0};
  }
}

int TunnelLoop::poll_timeout(SteadyClock::time_point now) const {
  if (busy_) return 0;
  if (!link_) return 50;
  return static_cast<int>(std::min<long>(kIdlePollMs, link_->until_next_check(now).count()));
}

void TunnelLoop::accept_clients(SteadyClock::time_point now) {
  while (pipes_.size() < kMaxClients) {
    auto client = accept_client(tunnel_.listener.fd.get());
    if (!client) return;
    pipes_.push_back(std::make_unique<Pipe>(std::move(client), now));
  }
}

void TunnelLoop::serve_connected(SteadyClock::time_point now) {
  if (fds_[1].revents != 0) link_->pump();
  uint64_t moved = 0;
  bool more = false;
  // Opening pumps the session too, so it goes first: every channel is read after it.
  for (auto& pipe : pipes_) {
    if (pipe->phase() == Pipe::Phase::waiting || pipe->phase() == Pipe::Phase::opening) {
      pipe->open(link_->raw(), forward_, now);
    }
  }
  for (size_t i = 0; i < pipes_.size(); ++i) {
    auto& pipe = *pipes_[i];
    pipe.serve(i + 2 < fds_.size() ? fds_[i + 2].revents : short{0}, scratch_);
    auto up = pipe.take_bytes_up();
    auto down = pipe.take_bytes_down();
    status_.bytes_up += up;
    status_.bytes_down += down;
    moved += up + down;
    more = more || pipe.maybe_more();
  }
  // Reading one channel may have made libssh take in data for another, which poll() cannot see.
  busy_ = more || (moved > 0 && pipes_.size() > 1);
}

core::Status TunnelLoop::lose_link(SteadyClock::time_point now) {
  status_.last_error = link_->error();
  for (auto& pipe : pipes_) pipe->lose_session();  // before the session that owns the channels
  link_.reset();
  busy_ = false;
  if (!tunnel_.options.reconnect) {
    return core::fail(core::ErrorKind::network, "the SSH connection died: " + status_.last_error);
  }
  set_state(TunnelState::reconnecting);
  tunnel_.reconnector->begin(now);
  reconnect(now);
  return {};
}

void TunnelLoop::reconnect(SteadyClock::time_point now) {
  auto session = tunnel_.reconnector->poll(now);
  if (!session) {
    if (!tunnel_.reconnector->last_error().empty())
      status_.last_error = tunnel_.reconnector->last_error();
    return;
  }
  link_ = std::make_unique<Link>(
      std::move(*session),
      KeepalivePolicy{tunnel_.options.keepalive_interval, tunnel_.options.keepalive_misses});
  ++status_.reconnects;
  set_state(TunnelState::connected);
  busy_ = true;  // open the channels of the waiting clients right away
}

void TunnelLoop::expire(SteadyClock::time_point now) {
  for (auto& pipe : pipes_) {
    bool pending = pipe->phase() == Pipe::Phase::waiting || pipe->phase() == Pipe::Phase::opening;
    if (pending && now - pipe->since() > kClientWait) pipe->close();
  }
}

void TunnelLoop::collect() {
  std::erase_if(pipes_, [](const auto& pipe) { return pipe->phase() == Pipe::Phase::done; });
}

void TunnelLoop::set_state(TunnelState state) {
  if (status_.state == state) return;
  status_.state = state;
  state_changed_ = true;
}

void TunnelLoop::report(SteadyClock::time_point now) {
  if (!state_changed_ && now - last_report_ < kReport) return;
  status_.open_connections = static_cast<int>(pipes_.size());
  state_changed_ = false;
  last_report_ = now;
  if (tunnel_.options.on_status) tunnel_.options.on_status(status_);
}

}  // namespace gpunb::ssh
