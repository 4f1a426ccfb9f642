// The tunnel's single-threaded poll loop: the listener, every client socket and the SSH socket in
// one poll(); the thread that runs it is the only one touching the session.
#pragma once

#include <poll.h>

#include <atomic>
#include <memory>
#include <vector>

#include "ssh/tunnel.hpp"
#include "ssh/tunnel_link.hpp"
#include "ssh/tunnel_pipe.hpp"
#include "ssh/tunnel_socket.hpp"

namespace gpunb::ssh {

struct Tunnel::Impl {
  TunnelOptions options;
  Listener listener;
  std::unique_ptr<Reconnector> reconnector;  // outlives run(): its threads are joined last
};

class TunnelLoop {
 public:
  TunnelLoop(Tunnel::Impl& tunnel, Session session, const std::atomic<bool>& stop);
  core::Status run();

 private:
  core::Status step();
  void build_poll_set(SteadyClock::time_point now);
  int poll_timeout(SteadyClock::time_point now) const;
  void accept_clients(SteadyClock::time_point now);
  void serve_connected(SteadyClock::time_point now);
  core::Status lose_link(SteadyClock::time_point now);
  void reconnect(SteadyClock::time_point now);
  void expire(SteadyClock::time_point now);
  void collect();
  void report(SteadyClock::time_point now);
  void set_state(TunnelState state);

  Tunnel::Impl& tunnel_;
  const std::atomic<bool>& stop_;
  Forward forward_;
  std::unique_ptr<Link> link_;
  std::vector<std::unique_ptr<Pipe>> pipes_;
  std::vector<pollfd> fds_;
  std::vector<char> scratch_;
  bool busy_ = false;  // bytes moved in the last step: libssh may hold more in channel buffers
  TunnelStatus status_;
  bool state_changed_ = true;
  SteadyClock::time_point last_report_;
};

}  // namespace gpunb::ssh
