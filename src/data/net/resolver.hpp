// Name resolution without glibc's NSS (a static binary must never reach getaddrinfo on a name:
// see STATIC-AGENT.md): IP literals as they are, then /etc/hosts, then DNS over UDP (A, then AAAA)
// to the nameservers of /etc/resolv.conf, and over TCP when a reply comes truncated. Only a reply
// that answers the question asked (id, name, type, class) counts; any other datagram is ignored.
// "localhost" is 127.0.0.1 even without /etc/hosts.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace gpunb::data {

struct IpAddress {
  int family = AF_INET;                                          // AF_INET or AF_INET6
  std::vector<std::uint8_t> bytes;                               // 4 or 16
  static std::optional<IpAddress> parse(std::string_view text);  // a literal, v4 or v6
  std::string str() const;
  sockaddr_storage sockaddr(int port, socklen_t& length) const;
  bool operator==(const IpAddress&) const = default;
};

struct ResolvConf {
  std::vector<IpAddress> nameservers;       // in file order, at most 3 (as glibc)
  std::chrono::milliseconds timeout{5000};  // per query ("options timeout:N")
  int attempts = 2;                         // rounds over the servers ("options attempts:N")
  int port = 53;                            // the servers' port (tests)
};

// The addresses /etc/hosts-style CONTENT gives NAME (any case), in file order.
std::vector<IpAddress> hosts_lookup(std::string_view content, std::string_view name);
ResolvConf parse_resolv_conf(std::string_view content);

// DNS messages (RFC 1035): a recursive query for NAME of TYPE (1: A, 28: AAAA), whether a message
// is a reply to that very query (its id, and a question section of NAME, TYPE, class IN), whether
// it was truncated (TC: ask again over TCP), and the addresses of TYPE and class IN in its answer
// section that belong to NAME or to the CNAME chain from it (records of other names ignored).
inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeAaaa = 28;
Result<std::string> dns_query(std::uint16_t id, std::string_view name, std::uint16_t type);
bool dns_replies_to(std::string_view reply, std::uint16_t id, std::string_view name,
                    std::uint16_t type);
bool dns_truncated(std::string_view reply);
Result<std::vector<IpAddress>> dns_answers(std::string_view reply, std::uint16_t id,
                                           std::string_view name, std::uint16_t type);

// Asks CONF's servers over UDP, then TCP for a truncated reply (A first, then AAAA); kind
// "network" when nothing answers.
Result<std::vector<IpAddress>> dns_resolve(const ResolvConf& conf, std::string_view name);

struct ResolverFiles {
  std::string hosts = "/etc/hosts";
  std::string resolv_conf = "/etc/resolv.conf";
};
// The whole chain; failure kind "network" ("cannot resolve NAME").
Result<std::vector<IpAddress>> resolve_host(std::string_view name, const ResolverFiles& files = {});

}  // namespace gpunb::data
