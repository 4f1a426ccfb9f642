// The tunnel's side of the SSH connection: the live session (non-blocking, owned by the loop's
// thread), its keepalive clock, and the reconnector that makes a new one in the background.
#pragma once

#include <libssh/libssh.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ssh/handles.hpp"
#include "ssh/session.hpp"

namespace gpunb::ssh {

using SteadyClock = std::chrono::steady_clock;

struct KeepalivePolicy {
  std::chrono::milliseconds interval{1000};
  int misses = 3;
};

class Link {
 public:
  Link(Session session, KeepalivePolicy policy);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();

  ssh_session raw() const { return raw_; }
  int fd() const { return ssh_get_fd(raw_); }
  short poll_events() const;  // POLLIN, plus POLLOUT while libssh holds unsent bytes
  // Lets libssh read and decrypt what arrived (and flush what it holds); false when it broke.
  bool pump();
  // Keepalive clock: sends a probe after a quiet interval; false when the connection is dead
  // (no byte from the server for `misses` intervals, or libssh saw it break).
  bool check(SteadyClock::time_point now);
  std::chrono::milliseconds until_next_check(SteadyClock::time_point now) const;
  const std::string& error() const { return error_; }

 private:
  bool broken();

  ssh_counter_struct socket_counter_{};
  ssh_counter_struct packet_counter_{};
  Session session_;
  ssh_session raw_;
  EventHandle event_;
  KeepalivePolicy policy_;
  uint64_t seen_in_ = 0;
  SteadyClock::time_point last_alive_;
  SteadyClock::time_point last_probe_;
  std::string error_;
};

// Makes new sessions on worker threads: one attempt at once at first, another after each backoff
// step while earlier ones still hang (a connect stuck in SYN retries must not delay the next).
class Reconnector {
 public:
  using Factory = std::function<core::Result<Session>()>;
  Reconnector(Factory factory, std::chrono::milliseconds max_backoff);
  Reconnector(const Reconnector&) = delete;
  Reconnector& operator=(const Reconnector&) = delete;
  ~Reconnector();  // waits for attempts still running

  void begin(SteadyClock::time_point now);
  // Launches attempts when due; a session once one succeeded.
  std::optional<Session> poll(SteadyClock::time_point now);
  const std::string& last_error() const { return last_error_; }

 private:
  struct Slot {
    std::mutex mutex;
    std::optional<core::Result<Session>> result;
  };
  struct Attempt {
    std::thread thread;
    std::shared_ptr<Slot> slot;
  };
  void launch(SteadyClock::time_point now);
  std::optional<Session> reap();

  Factory factory_;
  std::chrono::milliseconds max_backoff_;
  std::chrono::milliseconds backoff_{250};
  SteadyClock::time_point next_launch_;
  std::vector<Attempt> attempts_;
  std::string last_error_;
};

}  // namespace gpunb::ssh
