// The tunnel: a local 127.0.0.1 port forwarded over the SSH connection to a remote port,
// which heals itself: a dead connection is detected by keepalives within seconds and replaced
// with backoff, while the local port stays bound so a browser tab simply works again.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "core/error.hpp"
#include "ssh/session.hpp"

namespace gpunb::ssh {

enum class TunnelState { connected, reconnecting, stopped };

struct TunnelStatus {
  TunnelState state = TunnelState::connected;
  int open_connections = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  int reconnects = 0;
  std::string last_error;  // why the last connection died
};

struct TunnelOptions {
  std::string bind_host = "127.0.0.1";
  int local_port = 9999;       // 0: any free port
  bool next_free_port = true;  // take the next free port when local_port is taken
  std::vector<int> avoid_ports = {8888};
  std::string remote_host = "127.0.0.1";
  int remote_port = 0;
  std::chrono::milliseconds keepalive_interval{1000};
  int keepalive_misses = 3;  // the connection is dead after this many unanswered keepalives
  std::chrono::milliseconds max_backoff{2000};
  // Makes a new session after the old one died (the same checks as the first connect).
  std::function<core::Result<Session>()> reconnect;
  std::function<void(const TunnelStatus&)> on_status;  // called on every state change, ~1/s
};

class Tunnel {
 public:
  // Binds the local port (never 0.0.0.0). The port actually bound is local_port().
  static core::Result<Tunnel> bind(const TunnelOptions& options);
  Tunnel(Tunnel&&) noexcept;
  Tunnel& operator=(Tunnel&&) noexcept;
  ~Tunnel();
  int local_port() const;
  // Serves until `stop` becomes true; owns the session while it runs, replacing it when it dies.
  core::Status run(Session session, const std::atomic<bool>& stop);

  struct Impl;

 private:
  explicit Tunnel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpunb::ssh
