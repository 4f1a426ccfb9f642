// File descriptors and nonblocking TCP for the agent's HTTP client: a move-only Fd, poll with a
// deadline, and a connect that tries each address of a host in turn (TCP_NODELAY set).
#pragma once

#include <chrono>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "data/net/resolver.hpp"

namespace gpunb::data {

using SteadyClock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

int remaining_ms(SteadyClock::time_point deadline);
// Waits until FD is ready for EVENTS (POLLIN/POLLOUT); false on timeout.
bool wait_fd(int fd, short events, SteadyClock::time_point deadline);
// True when a kept-alive socket has been closed or has unexpected bytes (not reusable).
bool socket_stale(int fd);

// A connected nonblocking TCP socket to one of ADDRESSES (tried in order, IPv4 first) by DEADLINE;
// kind "timeout" when the deadline ended the last try, else "network".
Result<Fd> tcp_connect(const std::vector<IpAddress>& addresses, int port,
                       SteadyClock::time_point deadline);

}  // namespace gpunb::data
