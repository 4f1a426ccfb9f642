#include "ssh/tunnel_link.hpp"

#include <libssh/server.h>  // ssh_send_keepalive (a client may send it too)
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>

#include "ssh/session_impl.hpp"

namespace gpunb::ssh {

namespace {

constexpr int kPumpRounds = 64;         // libssh reads 4 KiB per round: up to 256 KiB per pump
constexpr uint64_t kLibsshRead = 4096;  // what libssh 0.10 asks of recv() at once
constexpr size_t kMaxAttempts = 8;      // connection attempts running at once
constexpr timeval kSendTimeout{2, 0};   // a send blocked this long means the link is gone

}  // namespace

Link::Link(Session session, KeepalivePolicy policy)
    : session_(std::move(session)),
      raw_(session_.impl().session.get()),
      event_(ssh_event_new()),
      policy_(policy),
      last_alive_(SteadyClock::now()),
      last_probe_(last_alive_) {
  ssh_set_blocking(raw_, 0);
  ssh_set_counters(raw_, &socket_counter_, &packet_counter_);
  ssh_event_add_session(event_.get(), raw_);
  // libssh writes on a blocking socket: bound how long one send may hang on a dead network.
  ::setsockopt(fd(), SOL_SOCKET, SO_SNDTIMEO, &kSendTimeout, sizeof kSendTimeout);
}

Link::~Link() {
  ssh_event_remove_session(event_.get(), raw_);
  event_.reset();
  ssh_set_counters(raw_, nullptr, nullptr);
}

short Link::poll_events() const {
  return static_cast<short>(POLLIN |
                            ((ssh_get_poll_flags(raw_) & SSH_WRITE_PENDING) ? POLLOUT : 0));
}

bool Link::broken() {
  if ((ssh_get_status(raw_) & (SSH_CLOSED | SSH_CLOSED_ERROR)) == 0) return false;
  if (error_.empty()) error_ = session_error(raw_);
  return true;
}

bool Link::pump() {
  for (int round = 0; round < kPumpRounds; ++round) {
    auto before = socket_counter_.in_bytes;
    int rc = ssh_event_dopoll(event_.get(), 0);
    if (rc != SSH_OK || broken()) break;
    if (socket_counter_.in_bytes - before < kLibsshRead) break;  // a short read: drained
  }
  return !broken();
}

bool Link::check(SteadyClock::time_point now) {
  if (broken()) return false;
  if (socket_counter_.in_bytes != seen_in_) {
    seen_in_ = socket_counter_.in_bytes;
    last_alive_ = now;
  }
  if (now - last_alive_ >= policy_.interval * policy_.misses) {
    error_ = "no answer from the server for " +
             std::to_string((policy_.interval * policy_.misses).count()) + " ms";
    return false;
  }
  if (now - last_alive_ >= policy_.interval && now - last_probe_ >= policy_.interval) {
    // keepalive@openssh.com with want-reply: the server must answer. libssh sends it only when
    // no earlier global request is pending, and the first call may just settle the last one.
    ssh_send_keepalive(raw_);
    ssh_send_keepalive(raw_);
    last_probe_ = now;
  }
  return !broken();
}

std::chrono::milliseconds Link::until_next_check(SteadyClock::time_point now) const {
  auto next = std::max(last_alive_, last_probe_) + policy_.interval;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
  return std::max(left, std::chrono::milliseconds(1));
}

Reconnector::Reconnector(Factory factory, std::chrono::milliseconds max_backoff)
    : factory_(std::move(factory)), max_backoff_(max_backoff) {}

Reconnector::~Reconnector() {
  for (auto& attempt : attempts_) attempt.thread.join();
}

void Reconnector::begin(SteadyClock::time_point now) {
  backoff_ = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(250), max_backoff_);
  next_launch_ = now;
}

void Reconnector::launch(SteadyClock::time_point now) {
  auto slot = std::make_shared<Slot>();
  auto factory = factory_;
  std::thread thread([slot, factory] {
    auto result = factory();
    std::lock_guard lock(slot->mutex);
    slot->result.emplace(std::move(result));
  });
  attempts_.push_back({std::move(thread), slot});
  next_launch_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, max_backoff_);
}

std::optional<Session> Reconnector::reap() {
  std::optional<Session> session;
  for (auto it = attempts_.begin(); it != attempts_.end();) {
    std::optional<core::Result<Session>> result;
    {
      std::lock_guard lock(it->slot->mutex);
      result = std::move(it->slot->result);
    }
    if (!result) {
      ++it;
      continue;
    }
    it->thread.join();
    it = attempts_.erase(it);
    if (!*result)
      last_error_ = result->error().message;
    else if (!session)
      session.emplace(std::move(**result));
  }
  return session;
}

std::optional<Session> Reconnector::poll(SteadyClock::time_point now) {
  auto session = reap();
  if (session) return session;
  if (factory_ && now >= next_launch_ && attempts_.size() < kMaxAttempts) launch(now);
  return std::nullopt;
}

}  // namespace gpunb::ssh
