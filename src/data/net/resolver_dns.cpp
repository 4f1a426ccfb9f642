// DNS over UDP (RFC 1035), TCP when a reply is truncated: one query per type, per server, with the
// timeout of resolv.conf. A datagram that is not a reply to the query asked (another id, name,
// type or class: late, or spoofed) is ignored and the wait goes on.
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "base/expected.hpp"
#include "data/net/resolver.hpp"
#include "data/net/socket.hpp"

namespace gpunb::data {
namespace {

constexpr std::uint16_t kClassIn = 1;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kFlagReply = 0x8000;
constexpr std::uint16_t kFlagTruncated = 0x0200;
constexpr size_t kHeader = 12;

void put16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

std::uint16_t get16(std::string_view data, size_t at) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(data[at]) << 8) |
                                    static_cast<std::uint8_t>(data[at + 1]));
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// NAME as read_name gives it: lowercase, without the root's trailing dot.
std::string canonical(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  return lower(name);
}

// The name at AT (compression pointers followed, a bounded number of times), lowercase and
// dotted, and the offset just past it where it starts; nullopt when malformed.
struct Name {
  std::string text;
  size_t end = 0;
};
std::optional<Name> read_name(std::string_view data, size_t at) {
  Name name;
  std::optional<size_t> end;
  for (int steps = 0; at < data.size() && steps < 128; ++steps) {
    auto length = static_cast<std::uint8_t>(data[at]);
    if (length == 0) {
      name.end = end.value_or(at + 1);
      return name;
    }
    if ((length & 0xc0) == 0xc0) {
      if (at + 2 > data.size()) return std::nullopt;
      if (!end) end = at + 2;
      at = get16(data, at) & 0x3fff;
      continue;
    }
    if ((length & 0xc0) != 0 || at + 1 + length > data.size()) return std::nullopt;
    if (!name.text.empty()) name.text += '.';
    name.text += lower(data.substr(at + 1, length));
    at += 1 + length;
  }
  return std::nullopt;
}

std::uint16_t random_id() {
  std::uint16_t id = 0;
  if (::getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<std::uint16_t>(::time(nullptr));
  return id;
}

struct Question {
  std::uint16_t id;
  std::string_view name;
  std::uint16_t type;
  std::string wire;  // the query as sent
};

// The first datagram from SERVER that replies to QUESTION; others are ignored.
Result<std::string> ask_udp(const IpAddress& server, int port, const Question& question,
                            std::chrono::milliseconds timeout) {
  Fd fd(::socket(server.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return fail(ErrorKind::network, std::string("socket: ") + std::strerror(errno));
  socklen_t length = 0;
  sockaddr_storage address = server.sockaddr(port, length);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::send(fd.get(), question.wire.data(), question.wire.size(), 0) < 0) {
    return fail(ErrorKind::network, server.str() + ": " + std::strerror(errno));
  }
  auto deadline = SteadyClock::now() + timeout;
  std::string reply(65536, '\0');
  while (wait_fd(fd.get(), POLLIN, deadline)) {
    ssize_t n = ::recv(fd.get(), reply.data(), reply.size(), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return fail(ErrorKind::network, server.str() + ": " + std::strerror(errno));
    std::string_view got(reply.data(), static_cast<size_t>(n));
    if (dns_replies_to(got, question.id, question.name, question.type)) return std::string(got);
  }
  return fail(ErrorKind::network, server.str() + ": no answer");
}

// Reads exactly SIZE bytes into OUT by DEADLINE.
Status read_exactly(int fd, char* out, size_t size, SteadyClock::time_point deadline) {
  while (size > 0) {
    ssize_t n = ::recv(fd, out, size, 0);
    if (n > 0) {
      out += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return fail(ErrorKind::network, "the DNS server closed the TCP connection");
    if (errno == EINTR) continue;
    if (errno != EAGAIN)
      return fail(ErrorKind::network, std::string("receive: ") + std::strerror(errno));
    if (!wait_fd(fd, POLLIN, deadline)) return fail(ErrorKind::network, "no answer over TCP");
  }
  return {};
}

// The same question over TCP (RFC 7766): a two-byte length before each message.
Result<std::string> ask_tcp(const IpAddress& server, int port, const Question& question,
                            std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  auto fd = tcp_connect({server}, port, deadline);
  if (!fd) return fail(ErrorKind::network, server.str() + " over TCP: " + fd.error().message);
  std::string framed;
  put16(framed, static_cast<std::uint16_t>(question.wire.size()));
  framed += question.wire;
  for (std::string_view left = framed; !left.empty();) {
    ssize_t n = ::send(fd->get(), left.data(), left.size(), MSG_NOSIGNAL);
    if (n > 0) left.remove_prefix(static_cast<size_t>(n));
    if (n < 0 && errno != EINTR && errno != EAGAIN)
      return fail(ErrorKind::network, server.str() + " over TCP: " + std::strerror(errno));
    if (n < 0 && errno == EAGAIN && !wait_fd(fd->get(), POLLOUT, deadline))
      return fail(ErrorKind::timeout, server.str() + " over TCP: send timed out");
  }
  char size[2];
  TRY(read_exactly(fd->get(), size, 2, deadline));
  std::string reply(get16(std::string_view(size, 2), 0), '\0');
  TRY(read_exactly(fd->get(), reply.data(), reply.size(), deadline));
  if (!dns_replies_to(reply, question.id, question.name, question.type))
    return fail(ErrorKind::network, server.str() + " over TCP: not a reply to our query");
  return reply;
}

Result<std::string> ask_server(const ResolvConf& conf, const IpAddress& server,
                               const Question& question) {
  auto reply = ask_udp(server, conf.port, question, conf.timeout);
  if (!reply || !dns_truncated(*reply)) return reply;
  return ask_tcp(server, conf.port, question, conf.timeout);
}

// One type over the servers and rounds: the addresses (empty: a definite "none"), or a failure.
Result<std::vector<IpAddress>> ask_type(const ResolvConf& conf, std::string_view name,
                                        std::uint16_t type) {
  std::string last = "no nameserver";
  for (int round = 0; round < conf.attempts; ++round) {
    for (const auto& server : conf.nameservers) {
      Question question{random_id(), name, type, {}};
      auto query = dns_query(question.id, name, type);
      TRY(query);
      question.wire = std::move(*query);
      auto reply = ask_server(conf, server, question);
      if (!reply) {
        last = reply.error().message;
        continue;
      }
      auto answers = dns_answers(*reply, question.id, name, type);
      if (answers || answers.error().kind == ErrorKind::not_found) return answers;
      last = answers.error().message;
    }
  }
  return fail(ErrorKind::network, last);
}

// The addresses of RECORD (at AT) when it is of TYPE and class IN and belongs to one of NAMES;
// a CNAME of one of NAMES adds its target to them. The offset past the record, or nullopt.
std::optional<size_t> read_record(std::string_view reply, size_t at, std::uint16_t type,
                                  std::vector<std::string>& names, std::vector<IpAddress>& out) {
  auto owner = read_name(reply, at);
  if (!owner || owner->end + 10 > reply.size()) return std::nullopt;
  std::uint16_t rtype = get16(reply, owner->end);
  std::uint16_t rclass = get16(reply, owner->end + 2);
  std::uint16_t rlength = get16(reply, owner->end + 8);
  size_t data = owner->end + 10;
  if (data + rlength > reply.size()) return std::nullopt;
  bool ours =
      rclass == kClassIn && std::find(names.begin(), names.end(), owner->text) != names.end();
  size_t expected = type == kTypeA ? 4 : 16;
  if (ours && rtype == type && rlength == expected) {
    IpAddress address;
    address.family = type == kTypeA ? AF_INET : AF_INET6;
    address.bytes.assign(reply.begin() + data, reply.begin() + data + rlength);
    out.push_back(std::move(address));
  } else if (ours && rtype == kTypeCname) {
    auto target = read_name(reply, data);
    if (!target) return std::nullopt;
    names.push_back(target->text);
  }
  return data + rlength;
}

}  // namespace

Result<std::string> dns_query(std::uint16_t id, std::string_view name, std::uint16_t type) {
  std::string out;
  put16(out, id);
  put16(out, 0x0100);  // standard query, recursion desired
  for (int count : {1, 0, 0, 0}) put16(out, static_cast<std::uint16_t>(count));
  if (name.ends_with('.')) name.remove_suffix(1);
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = std::min(name.find('.', start), name.size());
    size_t length = dot - start;
    if (length == 0 || length > 63)
      return fail(ErrorKind::usage, "bad host name " + std::string(name));
    out.push_back(static_cast<char>(length));
    out.append(name.substr(start, length));
    start = dot + 1;
  }
  out.push_back('\0');
  put16(out, type);
  put16(out, kClassIn);
  return out;
}

bool dns_replies_to(std::string_view reply, std::uint16_t id, std::string_view name,
                    std::uint16_t type) {
  if (reply.size() < kHeader || get16(reply, 0) != id || (get16(reply, 2) & kFlagReply) == 0)
    return false;
  if (get16(reply, 4) != 1) return false;  // exactly our one question
  auto asked = read_name(reply, kHeader);
  if (!asked || asked->end + 4 > reply.size()) return false;
  return asked->text == canonical(name) && get16(reply, asked->end) == type &&
         get16(reply, asked->end + 2) == kClassIn;
}

bool dns_truncated(std::string_view reply) {
  return reply.size() >= kHeader && (get16(reply, 2) & kFlagTruncated) != 0;
}

Result<std::vector<IpAddress>> dns_answers(std::string_view reply, std::uint16_t id,
                                           std::string_view name, std::uint16_t type) {
  if (!dns_replies_to(reply, id, name, type))
    return fail(ErrorKind::network, "not a DNS reply to our query");
  if (int rcode = get16(reply, 2) & 0xf; rcode != 0) {
    if (rcode == 3) return fail(ErrorKind::not_found, "no such name");
    return fail(ErrorKind::network, "DNS error " + std::to_string(rcode));
  }
  std::optional<size_t> at = read_name(reply, kHeader)->end + 4;
  std::vector<std::string> names{canonical(name)};
  std::vector<IpAddress> out;
  for (int a = get16(reply, 6); a > 0 && at; --a) at = read_record(reply, *at, type, names, out);
  if (!at) return fail(ErrorKind::network, "a malformed DNS reply");
  return out;
}

Result<std::vector<IpAddress>> dns_resolve(const ResolvConf& conf, std::string_view name) {
  auto v4 = ask_type(conf, name, kTypeA);
  if (v4 && !v4->empty()) return v4;
  auto v6 = ask_type(conf, name, kTypeAaaa);
  if (v6 && !v6->empty()) return v6;
  if (!v4) return v4;
  if (!v6) return v6;
  return fail(ErrorKind::network, "no address");
}

}  // namespace gpunb::data
