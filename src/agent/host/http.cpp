// Thin calls into the one HTTP client (data/net/http.hpp): a fresh client per call, so nothing
// is kept alive between samples, no redirect followed (the status is the answer) and the whole
// call bounded by its timeout. The hosts are IP literals, so no name is ever looked up.
#include "agent/host/http.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/expected.hpp"
#include "data/net/http.hpp"
#include "data/net/socket.hpp"

namespace gpunb::agent {
namespace {

constexpr size_t kMaxReply = size_t{1} << 20;  // Jupyter's listings and IMDS answers are small

data::HttpOptions options_for(std::chrono::milliseconds timeout) {
  data::HttpOptions options;
  options.connect_timeout = timeout;
  options.idle_timeout = timeout;
  options.follow_redirects = false;
  return options;
}

data::IpAddress loopback() {
  return *data::IpAddress::parse("127.0.0.1");
}

// A TCP socket bound to 127.0.0.1:PORT (0: any free port); invalid when the bind failed.
Fd bound_loopback(int port, bool reuse) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int on = 1;
  if (reuse) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // as Jupyter
  socklen_t length = 0;
  sockaddr_storage address = loopback().sockaddr(port, length);
  if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0)
    return Fd();
  return fd;
}

}  // namespace

Result<Endpoint> parse_endpoint(const std::string& url) {
  auto parsed = data::Url::parse(url);
  auto ip = parsed ? data::IpAddress::parse(parsed->host) : std::nullopt;
  if (!parsed || parsed->scheme != "http" || !ip || ip->family != AF_INET)
    return fail(ErrorKind::usage, "endpoint must be http://IPv4[:PORT], not " + url);
  return Endpoint{parsed->host, parsed->port};
}

Result<HttpReply> http_call(const Endpoint& endpoint, const HttpCall& call) {
  data::HttpRequest request;
  request.method = call.method;
  // Built, not parsed: the path is ours (url_path encodes what Jupyter names), sent as it is.
  request.url = data::Url{"http", endpoint.ip, endpoint.port, call.path};
  request.headers = call.headers;
  request.body = call.body;
  request.timeout = call.timeout;
  data::HttpClient client(options_for(call.timeout));
  auto reply = client.get_text(request, kMaxReply);
  TRY(reply);
  return HttpReply{reply->first.status, std::move(reply->second)};
}

Result<HttpReply> http_get_local(int port, const std::string& path, const std::string& token,
                                 std::chrono::milliseconds timeout) {
  HttpCall call{"GET", path, {}, "", timeout};
  if (!token.empty()) call.headers.emplace_back("Authorization", "token " + token);
  return http_call({"127.0.0.1", port}, call);
}

bool local_port_open(int port) {
  auto deadline = data::SteadyClock::now() + std::chrono::milliseconds(500);
  return static_cast<bool>(data::tcp_connect({loopback()}, port, deadline));
}

bool local_port_free(int port) {
  return port > 0 && bound_loopback(port, true).valid();
}

Result<int> free_local_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    Fd fd = bound_loopback(0, false);
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (!fd.valid() ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return fail(ErrorKind::internal, std::string("no free port: ") + std::strerror(errno));
    }
    int port = ntohs(address.sin_port);
    if (port != 8888) return port;
  }
  return fail(ErrorKind::internal, "no free port other than 8888");
}

}  // namespace gpunb::agent
