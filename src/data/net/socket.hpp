// File descriptors and nonblocking TCP for the agent's HTTP client: a move-only Fd, poll with a
// deadline, and a connect that tries each address of a host in turn (TCP_NODELAY set).
#pragma once

#include <chrono>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "data/net/resolver.hpp"

namespace gpunb::data {

using SteadyClock = std::chrono::steady_clock;

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
