// DNS over UDP (RFC 1035): one query per type, per server, with the timeout of resolv.conf.
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "data/resolver.hpp"
#include "data/socket.hpp"

namespace gpunb::data {
namespace {

using agent::failure;
using agent::Outcome;

void put16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

std::uint16_t get16(std::string_view data, size_t at) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(data[at]) << 8) |
                                    static_cast<std::uint8_t>(data[at + 1]));
}

// The offset just past the (possibly compressed) name at AT; nullopt when malformed.
std::optional<size_t> skip_name(std::string_view data, size_t at) {
  for (int labels = 0; at < data.size() && labels < 128; ++labels) {
    auto length = static_cast<std::uint8_t>(data[at]);
    if (length == 0) return at + 1;
    if ((length & 0xc0) == 0xc0)
      return at + 2 <= data.size() ? std::optional(at + 2) : std::nullopt;
    if ((length & 0xc0) != 0) return std::nullopt;
    at += 1 + length;
  }
  return std::nullopt;
}

std::uint16_t random_id() {
  std::uint16_t id = 0;
  if (::getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<std::uint16_t>(::time(nullptr));
  return id;
}

Outcome<std::string> ask_server(const IpAddress& server, const std::string& query,
                                std::chrono::milliseconds timeout) {
  Fd fd(::socket(server.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return failure("network", std::string("socket: ") + std::strerror(errno));
  socklen_t length = 0;
  sockaddr_storage address = server.sockaddr(53, length);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::send(fd.get(), query.data(), query.size(), 0) < 0) {
    return failure("network", server.str() + ": " + std::strerror(errno));
  }
  auto deadline = SteadyClock::now() + timeout;
  std::string reply(4096, '\0');
  while (wait_fd(fd.get(), POLLIN, deadline)) {
    ssize_t n = ::recv(fd.get(), reply.data(), reply.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return failure("network", server.str() + ": " + std::strerror(errno));
    reply.resize(static_cast<size_t>(n));
    return reply;
  }
  return failure("network", server.str() + ": no answer");
}

Outcome<std::vector<IpAddress>> ask_type(const ResolvConf& conf, std::string_view name,
                                         std::uint16_t type);

}  // namespace

Outcome<std::string> dns_query(std::uint16_t id, std::string_view name, std::uint16_t type) {
  std::string out;
  put16(out, id);
  put16(out, 0x0100);  // standard query, recursion desired
  for (int count : {1, 0, 0, 0}) put16(out, static_cast<std::uint16_t>(count));
  if (name.ends_with('.')) name.remove_suffix(1);
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = std::min(name.find('.', start), name.size());
    size_t length = dot - start;
    if (length == 0 || length > 63) return failure("usage", "bad host name " + std::string(name));
    out.push_back(static_cast<char>(length));
    out.append(name.substr(start, length));
    start = dot + 1;
  }
  out.push_back('\0');
  put16(out, type);
  put16(out, 1);  // class IN
  return out;
}

Outcome<std::vector<IpAddress>> dns_answers(std::string_view reply, std::uint16_t id,
                                            std::uint16_t type) {
  if (reply.size() < 12 || get16(reply, 0) != id || (get16(reply, 2) & 0x8000) == 0) {
    return failure("network", "not a DNS reply to our query");
  }
  if (int rcode = get16(reply, 2) & 0xf; rcode != 0) {
    return failure("network", rcode == 3 ? "no such name" : "DNS error " + std::to_string(rcode));
  }
  std::optional<size_t> at = 12;
  for (int q = get16(reply, 4); q > 0 && at; --q) {
    at = skip_name(reply, *at);
    if (at) *at += 4;  // type and class
  }
  std::vector<IpAddress> out;
  for (int a = get16(reply, 6); a > 0 && at; --a) {
    at = skip_name(reply, *at);
    if (!at || *at + 10 > reply.size()) return failure("network", "a malformed DNS reply");
    std::uint16_t rtype = get16(reply, *at);
    std::uint16_t rlength = get16(reply, *at + 8);
    size_t data = *at + 10;
    if (data + rlength > reply.size()) return failure("network", "a malformed DNS reply");
    size_t expected = type == kTypeA ? 4 : 16;
    if (rtype == type && rlength == expected) {
      IpAddress address;
      address.family = type == kTypeA ? AF_INET : AF_INET6;
      address.bytes.assign(reply.begin() + data, reply.begin() + data + rlength);
      out.push_back(std::move(address));
    }
    at = data + rlength;
  }
  if (!at) return failure("network", "a malformed DNS reply");
  return out;
}

Outcome<std::vector<IpAddress>> dns_resolve(const ResolvConf& conf, std::string_view name) {
  auto v4 = ask_type(conf, name, kTypeA);
  if (v4 && !v4->empty()) return v4;
  auto v6 = ask_type(conf, name, kTypeAaaa);
  if (v6 && !v6->empty()) return v6;
  if (!v4) return v4;
  if (!v6) return v6;
  return failure("network", "no address");
}

namespace {

// One type over the servers and rounds: the addresses (empty: a definite "none"), or a failure.
Outcome<std::vector<IpAddress>> ask_type(const ResolvConf& conf, std::string_view name,
                                         std::uint16_t type) {
  std::string last = "no nameserver";
  for (int round = 0; round < conf.attempts; ++round) {
    for (const auto& server : conf.nameservers) {
      std::uint16_t id = random_id();
      auto query = dns_query(id, name, type);
      if (!query) return tl::unexpected(query.error());
      auto reply = ask_server(server, *query, conf.timeout);
      if (!reply) {
        last = reply.error().message;
        continue;
      }
      auto answers = dns_answers(*reply, id, type);
      if (answers || answers.error().message == "no such name") return answers;
      last = answers.error().message;
    }
  }
  return failure("network", last);
}

}  // namespace
}  // namespace gpunb::data
