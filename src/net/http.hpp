// HTTP behind an interface: CurlHttp for real, fakes in unit tests.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace gpunb::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
};

class Http {
 public:
  virtual ~Http() = default;
  // A transport failure (DNS, connect, timeout, TLS) is an error; any HTTP status is a response.
  virtual core::Result<HttpResponse> send(const HttpRequest& request) = 0;
};

// libcurl, one easy handle reused for keep-alive; TLS peer and host always verified.
std::unique_ptr<Http> make_curl_http();

}  // namespace gpunb::net
