#include "net/tcp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "base/fd.hpp"
#include "util/platform.hpp"

namespace gpunb::net {

namespace {

bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd entry{fd, events, 0};
  return ::poll(&entry, 1, static_cast<int>(timeout.count())) == 1 && (entry.revents & events) != 0;
}

bool connect_within(int fd, const sockaddr* address, socklen_t length,
                    std::chrono::milliseconds timeout) {
  if (::connect(fd, address, length) == 0) return true;
  if (errno != EINPROGRESS || !wait_for(fd, POLLOUT, timeout)) return false;
  int error = 0;
  socklen_t size = sizeof(error);
  return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
}

bool read_prefix(int fd, const std::string& prefix, std::chrono::milliseconds timeout) {
  std::string got;
  while (got.size() < prefix.size()) {
    if (!wait_for(fd, POLLIN, timeout)) return false;
    char buffer[64];
    auto count = ::read(fd, buffer, sizeof(buffer));
    if (count <= 0) return false;
    got.append(buffer, static_cast<size_t>(count));
  }
  return got.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

bool probe_tcp(const std::string& host, int port, std::chrono::milliseconds timeout,
               const std::string& banner_prefix) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return false;
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  Fd fd(util::platform::stream_socket(found->ai_family));
  if (fd.get() < 0 || !connect_within(fd.get(), found->ai_addr, found->ai_addrlen, timeout))
    return false;
  return banner_prefix.empty() || read_prefix(fd.get(), banner_prefix, timeout);
}

}  // namespace gpunb::net
