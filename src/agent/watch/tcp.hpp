// Forwarded connections that carry traffic: TCP connections over loopback to a local listening
// port (what `ssh -L` and gpunb's tunnel end in on the machine), read from the kernel with
// NETLINK_SOCK_DIAG (inet_diag with tcp_info: bytes received and acked), keyed by socket cookie.
// A connection counts when its byte counters moved since the previous sample, or when it is new
// and carried bytes; an open connection that carries nothing (an idle tunnel) does not count.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace gpunb::agent {

struct TcpSocket {
  std::uint64_t cookie = 0;
  int local_port = 0, remote_port = 0;
  bool loopback = false;  // both ends on 127.0.0.0/8 or ::1
  bool listening = false;
  std::uint64_t bytes = 0;  // bytes_received + bytes_acked
};

// Every TCP socket of this network namespace in the LISTEN or ESTABLISHED state (IPv4 and IPv6);
// nullopt when sock_diag cannot be used.
std::optional<std::vector<TcpSocket>> tcp_sockets();

class TcpTraffic {
 public:
  // True when a forwarded connection carried traffic since the last call. EXCLUDED: local ports
  // whose traffic is judged elsewhere (Jupyter, its kernels, the watcher's own polling).
  bool moved(const std::vector<TcpSocket>& sockets, const std::set<int>& excluded);

 private:
  std::map<std::uint64_t, std::uint64_t> last_;
  bool first_ = true;
};

// The ports of the kernels' ZMQ channels, from the connection files in Jupyter's runtime dirs.
std::set<int> kernel_ports();

}  // namespace gpunb::agent
