#include "aws/url.hpp"

#include "base/strings.hpp"

namespace gpunb::aws {

namespace {
std::string strip_default_port(std::string host, const std::string& scheme) {
  auto colon = host.rfind(':');
  if (colon == std::string::npos || host.find(']', colon) != std::string::npos) return host;
  auto port = host.substr(colon + 1);
  if ((scheme == "https" && port == "443") || (scheme == "http" && port == "80"))
    host.resize(colon);
  return host;
}
}  // namespace

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  auto scheme_end = url.find("://");
  size_t authority = 0;
  if (scheme_end != std::string_view::npos) {
    parts.scheme = std::string(url.substr(0, scheme_end));
    authority = scheme_end + 3;
  }
  auto path_start = url.find_first_of("/?#", authority);
  // Host names are case-insensitive; botocore signs them lower-cased.
  parts.host = strip_default_port(base::to_lower(url.substr(authority, path_start - authority)),
                                  parts.scheme);
  if (path_start == std::string_view::npos) {
    parts.path = "/";
    return parts;
  }
  auto rest = url.substr(path_start);
  rest = rest.substr(0, rest.find('#'));
  auto question = rest.find('?');
  parts.path = std::string(rest.substr(0, question));
  if (parts.path.empty()) parts.path = "/";
  if (question != std::string_view::npos) parts.query = std::string(rest.substr(question + 1));
  return parts;
}

}  // namespace gpunb::aws
