// The agent's HTTP(S) client: HTTP/1.1 over plain TCP or OpenSSL TLS (always verified against a
// CA bundle: $SSL_CERT_FILE, else the usual distribution paths), names resolved by
// data/net/resolver.hpp (never glibc's NSS: see STATIC-AGENT.md). Redirects followed (unless
// turned off), never from https to plain http (kind "refused"). A body without a length over TLS
// must end with close_notify: a bare close there is a network failure (resumable), not the end.
// Bodies are streamed to a sink; nothing is buffered whole unless asked (get_text).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace gpunb::data {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 literal, or an IPv6 literal without brackets
  int port = 0;        // always set (80/443 by default)
  std::string target;  // path and query, "/" at least
  static Result<Url> parse(std::string_view text);  // usage failure with the reason
  Url resolve(std::string_view location) const;     // a Location header against this URL
  std::string str() const;
  std::string redacted() const;  // without the query (presigned URLs carry signatures)
};

using Headers = std::vector<std::pair<std::string, std::string>>;
std::optional<std::string> header(const Headers& headers, std::string_view name);  // any case

struct HttpRequest {
  std::string method = "GET";
  Url url;
  Headers headers;   // Host, Connection and Content-Length are added by the client
  std::string body;  // sent with Content-Length when not empty (and always for POST and PUT)
  // The whole send() by this long (connect, redirects, head and body); a miss fails with kind
  // "timeout". None: only the options' connect and idle timeouts bound it.
  std::optional<std::chrono::milliseconds> timeout;
};

struct HttpHead {
  int status = 0;
  Headers headers;
  Url url;  // the final URL, after redirects
  std::optional<std::uint64_t> content_length;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{15000};
  std::chrono::milliseconds idle_timeout{60000};  // no byte for this long: a network failure
  int max_redirects = 10;
  bool follow_redirects = true;  // false: a 3xx is the answer, as it came
  std::string ca_file;           // empty: $SSL_CERT_FILE, then the usual bundle paths
};

// Bytes of a response body in order; a failure returned here ends the transfer.
using BodySink = std::function<Status(const char* data, size_t size)>;
// Called once with the final head (after redirects); false: the body is not wanted (the
// connection is then closed rather than drained).
using HeadCheck = std::function<Result<bool>(const HttpHead& head)>;

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // One request (keep-alive connections are reused per host:port; one client may serve several
  // threads at once). Network problems fail with kind "network" (a missed deadline with kind
  // "timeout"), TLS verification with kind "refused", bad URLs with kind "usage".
  Result<HttpHead> send(const HttpRequest& request, const HeadCheck& check, const BodySink& sink);
  // A whole small body (HTML pages, XML): fails when it grows over MAX_BYTES.
  Result<std::pair<HttpHead, std::string>> get_text(const HttpRequest& request,
                                                    size_t max_bytes = size_t{4} << 20);
  const HttpOptions& options() const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace gpunb::data
