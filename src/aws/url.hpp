// The parts of an absolute URL that signing and endpoints need.
#pragma once

#include <string>
#include <string_view>

namespace gpunb::aws {

struct UrlParts {
  std::string scheme;
  std::string host;   // with ":port" when the port is not the scheme's default
  std::string path;   // raw, as on the wire; "/" when empty
  std::string query;  // raw, without '?'
};

UrlParts split_url(std::string_view url);

}  // namespace gpunb::aws
