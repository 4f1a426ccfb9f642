#include "data/net/socket.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gpunb::data {
namespace {

Status connect_one(const Fd& fd, const IpAddress& address, int port,
                   SteadyClock::time_point deadline) {
  socklen_t length = 0;
  sockaddr_storage storage = address.sockaddr(port, length);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&storage), length) == 0) return {};
  if (errno != EINPROGRESS) return fail(ErrorKind::network, std::strerror(errno));
  if (!wait_fd(fd.get(), POLLOUT, deadline)) return fail(ErrorKind::timeout, "connect timed out");
  int error = 0;
  socklen_t size = sizeof error;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size);
  if (error != 0) return fail(ErrorKind::network, std::strerror(error));
  return {};
}

}  // namespace

int remaining_ms(SteadyClock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() > 0 ? static_cast<int>(std::min<long long>(left.count(), 1 << 30)) : 0;
}

bool wait_fd(int fd, short events, SteadyClock::time_point deadline) {
  pollfd p{fd, events, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, remaining_ms(deadline));
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

bool socket_stale(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;  // readable (EOF or stray bytes), an error, or a hangup
}

Result<Fd> tcp_connect(const std::vector<IpAddress>& addresses, int port,
                       SteadyClock::time_point deadline) {
  std::vector<IpAddress> ordered = addresses;
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const IpAddress& a, const IpAddress& b) { return a.family < b.family; });
  std::string last = "no address";
  ErrorKind kind = ErrorKind::network;  // timeout when the last address ran out of time
  for (const auto& address : ordered) {
    Fd fd(::socket(address.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid())
      return fail(ErrorKind::internal, std::string("socket: ") + std::strerror(errno));
    auto done = connect_one(fd, address, port, deadline);
    if (done) {
      int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    last = address.str() + ": " + done.error().message;
    kind = done.error().kind;
    if (remaining_ms(deadline) == 0) break;
  }
  return fail(kind, "cannot connect to " + last);
}

}  // namespace gpunb::data
