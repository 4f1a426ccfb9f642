#include "ssh/tunnel_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/expected.hpp"
#include "util/platform.hpp"

namespace gpunb::ssh {

namespace {

constexpr int kPortsToTry = 100;

// 0 on success, else errno.
int try_bind(const Fd& fd, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return errno;
  return ::listen(fd.get(), 128) == 0 ? 0 : errno;
}

core::Result<Fd> new_socket() {
  Fd fd(util::platform::stream_socket(AF_INET));
  if (!fd)
    return core::fail(core::ErrorKind::internal, std::string("socket: ") + std::strerror(errno));
  int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  return fd;
}

int bound_port(const Fd& fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

}  // namespace

core::Result<Listener> listen_local(const std::string& host, int port, bool next_free,
                                    const std::vector<int>& avoid) {
  if (host != "127.0.0.1" && host != "localhost") {
    return core::fail(core::ErrorKind::usage, "a tunnel listens on 127.0.0.1 only, not " + host);
  }
  int last = port == 0 ? 0 : std::min(65535, next_free ? port + kPortsToTry - 1 : port);
  for (int candidate = port; candidate <= last; ++candidate) {
    if (candidate != 0 && std::find(avoid.begin(), avoid.end(), candidate) != avoid.end()) continue;
    auto fd = new_socket();
    TRY(fd);
    int error = try_bind(*fd, candidate);
    if (error == 0) {
      int bound = bound_port(*fd);
      return Listener{std::move(*fd), bound};
    }
    if (error != EADDRINUSE && error != EACCES) {
      return core::fail(
          core::ErrorKind::internal,
          "cannot listen on 127.0.0.1:" + std::to_string(candidate) + ": " + std::strerror(error));
    }
  }
  return core::fail(core::ErrorKind::usage,
                    "local port " + std::to_string(port) +
                        (next_free ? " and the next ones are" : " is") + " taken",
                    "choose another local port");
}

Fd accept_client(int listener) {
  Fd fd(util::platform::accept_client(listener));
  if (!fd) return fd;
  int on = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

}  // namespace gpunb::ssh
