// IP literals, /etc/hosts and /etc/resolv.conf; the DNS wire format is in resolver_dns.cpp.
#include "data/net/resolver.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gpunb::data {
namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Each line of CONTENT without its comment (from '#' or ';'), split into words; empty lines out.
std::vector<std::vector<std::string_view>> lines_of(std::string_view content) {
  std::vector<std::vector<std::string_view>> out;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = std::min(content.find('\n', start), content.size());
    std::string_view line = content.substr(start, end - start);
    line = line.substr(0, line.find_first_of("#;"));
    if (auto w = words(line); !w.empty()) out.push_back(std::move(w));
    start = end + 1;
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void apply_option(std::string_view option, ResolvConf& conf) {
  auto number = [&](std::string_view prefix) -> std::optional<int> {
    if (!option.starts_with(prefix)) return std::nullopt;
    int value = 0;
    auto text = option.substr(prefix.size());
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || value < 1) return std::nullopt;
    return value;
  };
  if (auto t = number("timeout:")) conf.timeout = std::chrono::seconds(std::min(*t, 30));
  if (auto a = number("attempts:")) conf.attempts = std::min(*a, 5);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string copy(text.substr(0, text.find('%')));  // no zone ids
  IpAddress address;
  address.bytes.resize(16);
  if (::inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.bytes.resize(4);
    return address;
  }
  if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET6;
    return address;
  }
  return std::nullopt;
}

std::string IpAddress::str() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes.data(), text, sizeof text);
  return text;
}

sockaddr_storage IpAddress::sockaddr(int port, socklen_t& length) const {
  sockaddr_storage storage{};
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&in->sin_addr, bytes.data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&in6->sin6_addr, bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  return storage;
}

std::vector<IpAddress> hosts_lookup(std::string_view content, std::string_view name) {
  std::vector<IpAddress> out;
  for (const auto& line : lines_of(content)) {
    auto address = IpAddress::parse(line[0]);
    if (!address) continue;
    bool named = std::any_of(line.begin() + 1, line.end(),
                             [&](std::string_view alias) { return iequals(alias, name); });
    if (named && std::find(out.begin(), out.end(), *address) == out.end()) out.push_back(*address);
  }
  return out;
}

ResolvConf parse_resolv_conf(std::string_view content) {
  ResolvConf conf;
  for (const auto& line : lines_of(content)) {
    if (line[0] == "nameserver" && line.size() > 1 && conf.nameservers.size() < 3) {
      if (auto address = IpAddress::parse(line[1])) conf.nameservers.push_back(*address);
    } else if (line[0] == "options") {
      for (size_t i = 1; i < line.size(); ++i) apply_option(line[i], conf);
    }
  }
  if (conf.nameservers.empty()) conf.nameservers.push_back(*IpAddress::parse("127.0.0.1"));
  return conf;
}

Result<std::vector<IpAddress>> resolve_host(std::string_view name, const ResolverFiles& files) {
  if (auto literal = IpAddress::parse(name)) return std::vector<IpAddress>{*literal};
  if (name.empty()) return fail(ErrorKind::usage, "an empty host name");
  if (auto found = hosts_lookup(read_file(files.hosts), name); !found.empty()) return found;
  if (iequals(name, "localhost") || iequals(name, "localhost.")) {
    return std::vector<IpAddress>{*IpAddress::parse("127.0.0.1")};
  }
  auto found = dns_resolve(parse_resolv_conf(read_file(files.resolv_conf)), name);
  if (!found)
    return fail(ErrorKind::network,
                "cannot resolve " + std::string(name) + ": " + found.error().message);
  return found;
}

}  // namespace gpunb::data
