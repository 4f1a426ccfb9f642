#include "agent/watch_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace gpunb::agent {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (n >= 0 || errno != EINTR) return n > 0;
  }
}

Done connect_to(const Fd& s, const Endpoint& endpoint, Clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(endpoint.port));
  if (::inet_pton(AF_INET, endpoint.ip.c_str(), &addr.sin_addr) != 1)
    return failure("usage", "not an IPv4 address: " + endpoint.ip);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS)
    return failure("network", std::string("connect: ") + std::strerror(errno));
  if (!ready(s.get(), POLLOUT, deadline)) return failure("network", "connect timed out");
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) return failure("network", std::string("connect: ") + std::strerror(error));
  return {};
}

Done send_text(const Fd& s, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    if (!ready(s.get(), POLLOUT, deadline)) return failure("network", "send timed out");
    ssize_t n = ::send(s.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return failure("network", std::string("send: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Outcome<std::string> receive_text(const Fd& s, Clock::time_point deadline) {
  std::string out;
  std::array<char, 8192> buffer{};
  while (out.size() < (1u << 20)) {
    if (!ready(s.get(), POLLIN, deadline)) return failure("network", "reply timed out");
    ssize_t n = ::recv(s.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return failure("network", std::string("recv: ") + std::strerror(errno));
    if (n == 0) break;
    out.append(buffer.data(), static_cast<size_t>(n));
  }
  return out;
}

std::string request_text(const Endpoint& endpoint, const HttpCall& call) {
  std::string text = call.method + " " + call.path + " HTTP/1.1\r\nHost: " + endpoint.ip + ":" +
                     std::to_string(endpoint.port) +
                     "\r\nUser-Agent: gpunb-agent\r\nConnection: close\r\n";
  for (const auto& [name, value] : call.headers) text += name + ": " + value + "\r\n";
  if (!call.body.empty() || call.method != "GET")
    text += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
  return text + "\r\n" + call.body;
}

}  // namespace

Outcome<Endpoint> parse_endpoint(const std::string& url) {
  const std::string scheme = "http://";
  if (!url.starts_with(scheme)) return failure("usage", "endpoint must start with http://");
  std::string rest = url.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  Endpoint endpoint{rest, 80};
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    endpoint.ip = rest.substr(0, colon);
    endpoint.port = std::atoi(rest.c_str() + colon + 1);
  }
  in_addr probe{};
  if (::inet_pton(AF_INET, endpoint.ip.c_str(), &probe) != 1 || endpoint.port <= 0 ||
      endpoint.port > 65535)
    return failure("usage", "endpoint must be http://IPv4[:PORT], not " + url);
  return endpoint;
}

Outcome<HttpReply> http_call(const Endpoint& endpoint, const HttpCall& call) {
  auto deadline = Clock::now() + call.timeout;
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (s.get() < 0) return failure("internal", std::string("socket: ") + std::strerror(errno));
  if (auto ok = connect_to(s, endpoint, deadline); !ok) return tl::unexpected(ok.error());
  if (auto ok = send_text(s, request_text(endpoint, call), deadline); !ok)
    return tl::unexpected(ok.error());
  auto raw = receive_text(s, deadline);
  if (!raw) return tl::unexpected(raw.error());
  return parse_http_reply(*raw);
}

}  // namespace gpunb::agent
