// Url parsing and Location resolution (RFC 3986, the parts HTTP downloads meet), and header lookup.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/expected.hpp"
#include "data/net/http.hpp"

namespace gpunb::data {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_host(std::string_view host) {
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           c == ':';
  });
}

// "host", "host:port", "[v6]" or "[v6]:port" into URL's host and port.
Status split_authority(std::string_view authority, Url& url) {
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    return fail(ErrorKind::usage, "URLs with a user name or password are not supported");
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return fail(ErrorKind::usage, "unclosed '[' in the URL's host");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':'))
      return fail(ErrorKind::usage, "bad host in the URL");
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    auto colon = authority.find(':');
    url.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (url.host.find(':') != std::string::npos)
      return fail(ErrorKind::usage, "bad host in the URL");
  }
  if (!valid_host(url.host)) return fail(ErrorKind::usage, "bad host in the URL");
  if (port_text.empty()) return {};
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), url.port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || url.port <= 0 ||
      url.port > 65535) {
    return fail(ErrorKind::usage, "bad port in the URL");
  }
  return {};
}

// Removes "." and ".." segments of an absolute path (RFC 3986 5.2.4), keeping the query.
std::string normalize_target(std::string_view target) {
  auto query_at = target.find_first_of("?#");
  std::string_view path = target.substr(0, query_at);
  std::string query =
      query_at == std::string_view::npos ? "" : std::string(target.substr(query_at));
  if (auto hash = query.find('#'); hash != std::string::npos) query.resize(hash);
  std::vector<std::string_view> segments;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = std::min(path.find('/', start), path.size());
    std::string_view segment = path.substr(start, slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (segment != ".") {
      segments.push_back(segment);
    }
    if ((segment == "." || segment == "..") && slash == path.size()) segments.emplace_back();
    start = slash + 1;
  }
  std::string out;
  for (auto segment : segments) out += "/" + std::string(segment);
  return (out.empty() ? "/" : out) + query;
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
  Url url;
  auto sep = text.find("://");
  if (sep == std::string_view::npos)
    return fail(ErrorKind::usage, "not an absolute URL: no scheme");
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    return fail(ErrorKind::usage, "unsupported URL scheme '" + url.scheme + "' (http or https)");
  }
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    return fail(ErrorKind::usage, "the URL holds spaces or control characters");
  }
  std::string_view rest = text.substr(sep + 3);
  auto path_at = rest.find_first_of("/?#");
  TRY(split_authority(rest.substr(0, path_at), url));
  if (url.port == 0) url.port = url.scheme == "https" ? 443 : 80;
  std::string target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (!target.starts_with('/')) target.insert(0, "/");
  url.target = normalize_target(target);
  return url;
}

Url Url::resolve(std::string_view location) const {
  if (location.find("://") != std::string_view::npos) {
    if (auto absolute = parse(location)) return *absolute;
    return *this;
  }
  if (location.starts_with("//")) {
    if (auto absolute = parse(scheme + ":" + std::string(location))) return *absolute;
    return *this;
  }
  Url out = *this;
  if (location.starts_with('/')) {
    out.target = normalize_target(location);
  } else if (location.starts_with('?')) {
    out.target = target.substr(0, target.find('?')) + std::string(location);
  } else {
    std::string base = target.substr(0, target.find('?'));
    out.target = normalize_target(base.substr(0, base.rfind('/') + 1) + std::string(location));
  }
  return out;
}

std::string Url::str() const {
  std::string authority = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  if (!default_port) authority += ":" + std::to_string(port);
  return scheme + "://" + authority + target;
}

std::string Url::redacted() const {
  Url copy = *this;
  copy.target = target.substr(0, target.find('?'));
  return copy.str();
}

std::optional<std::string> header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

}  // namespace gpunb::data
