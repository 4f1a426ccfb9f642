#include "agent/host/http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace gpunb::agent {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, remaining_ms(deadline));
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

Status connect_to(const Socket& s, const Endpoint& endpoint, Clock::time_point deadline) {
  if (s.fd() < 0) return fail(ErrorKind::internal, std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr = loopback(endpoint.port);
  if (::inet_pton(AF_INET, endpoint.ip.c_str(), &addr.sin_addr) != 1)
    return fail(ErrorKind::usage, "not an IPv4 address: " + endpoint.ip);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return {};
  if (errno != EINPROGRESS) return fail(ErrorKind::network, "connection refused");
  if (!wait_for(s.fd(), POLLOUT, deadline)) return fail(ErrorKind::timeout, "connect timed out");
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) return fail(ErrorKind::network, std::string("connect: ") + std::strerror(error));
  return {};
}

Status send_all(const Socket& s, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    if (!wait_for(s.fd(), POLLOUT, deadline)) return fail(ErrorKind::timeout, "send timed out");
    ssize_t n = ::send(s.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return fail(ErrorKind::network, std::string("send: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> receive_all(const Socket& s, Clock::time_point deadline) {
  std::string out;
  std::array<char, 8192> buffer{};
  for (;;) {
    if (!wait_for(s.fd(), POLLIN, deadline)) return fail(ErrorKind::timeout, "reply timed out");
    ssize_t n = ::recv(s.fd(), buffer.data(), buffer.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return fail(ErrorKind::network, std::string("recv: ") + std::strerror(errno));
    if (n == 0 || out.size() > (1u << 20)) return out;
    out.append(buffer.data(), static_cast<size_t>(n));
  }
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

HttpReply parse_http_reply(const std::string& raw) {
  HttpReply reply;
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return reply;
  try {
    reply.status = std::stoi(raw.substr(9, 3));
  } catch (const std::exception&) {
    return HttpReply{};
  }
  size_t body = raw.find("\r\n\r\n");
  if (body != std::string::npos) reply.body = raw.substr(body + 4);
  return reply;
}

Result<Endpoint> parse_endpoint(const std::string& url) {
  const std::string scheme = "http://";
  if (!url.starts_with(scheme)) return fail(ErrorKind::usage, "endpoint must start with http://");
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
    return fail(ErrorKind::usage, "endpoint must be http://IPv4[:PORT], not " + url);
  return endpoint;
}

Result<HttpReply> http_call(const Endpoint& endpoint, const HttpCall& call) {
  auto deadline = Clock::now() + call.timeout;
  Socket s;
  if (auto ok = connect_to(s, endpoint, deadline); !ok) return tl::unexpected(ok.error());
  if (auto ok = send_all(s, request_text(endpoint, call), deadline); !ok)
    return tl::unexpected(ok.error());
  auto raw = receive_all(s, deadline);
  if (!raw) return tl::unexpected(raw.error());
  return parse_http_reply(*raw);
}

Result<HttpReply> http_get_local(int port, const std::string& path, const std::string& token,
                                 std::chrono::milliseconds timeout) {
  HttpCall call{"GET", path, {}, "", timeout};
  if (!token.empty()) call.headers.emplace_back("Authorization", "token " + token);
  return http_call({"127.0.0.1", port}, call);
}

bool local_port_open(int port) {
  Socket s;
  return static_cast<bool>(
      connect_to(s, {"127.0.0.1", port}, Clock::now() + std::chrono::milliseconds(500)));
}

bool local_port_free(int port) {
  Socket s;
  int on = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // as Jupyter binds
  sockaddr_in addr = loopback(port);
  return port > 0 && ::bind(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

Result<int> free_local_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    Socket s;
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return fail(ErrorKind::internal, std::string("no free port: ") + std::strerror(errno));
    }
    int port = ntohs(addr.sin_port);
    if (port != 8888) return port;
  }
  return fail(ErrorKind::internal, "no free port other than 8888");
}

}  // namespace gpunb::agent
