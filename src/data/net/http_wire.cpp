#include "data/net/http_wire.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "base/expected.hpp"
#include "base/strings.hpp"

namespace gpunb::data {
namespace {

constexpr size_t kMaxHeaders = 200;
constexpr size_t kBodyBuffer = 256 * 1024;

bool contains_token(std::string_view value, std::string_view token) {
  std::string lower(value);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(token) != std::string::npos;
}

Result<int> parse_status_line(const std::string& line, bool& http10) {
  int status = 0;
  if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ') {
    return fail(ErrorKind::network, "not an HTTP response");
  }
  http10 = line[7] == '0';
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc() || status < 100 || status > 999)
    return fail(ErrorKind::network, "bad HTTP status");
  return status;
}

Result<Headers> read_headers(Connection& connection) {
  Headers headers;
  for (;;) {
    auto line = connection.read_line();
    TRY(line);
    if (line->empty()) return headers;
    if ((line->front() == ' ' || line->front() == '\t') && !headers.empty()) {
      headers.back().second += " " + base::trim(*line);  // an obsolete folded line
      continue;
    }
    auto colon = line->find(':');
    if (colon == std::string::npos || colon == 0)
      return fail(ErrorKind::network, "a bad header line");
    if (headers.size() >= kMaxHeaders) return fail(ErrorKind::network, "too many headers");
    headers.emplace_back(base::trim(line->substr(0, colon)), base::trim(line->substr(colon + 1)));
  }
}

Result<std::uint64_t> parse_length(std::string_view text, int base) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end == text.data()) return fail(ErrorKind::network, "a bad body length");
  return value;
}

void set_framing(ResponseHead& out, std::string_view method, bool http10) {
  auto connection = header(out.head.headers, "Connection").value_or("");
  out.keep_alive =
      http10 ? contains_token(connection, "keep-alive") : !contains_token(connection, "close");
  int status = out.head.status;
  if (method == "HEAD" || status == 204 || status == 304 || status < 200) {
    out.framing = Framing::kNone;
  } else if (contains_token(header(out.head.headers, "Transfer-Encoding").value_or(""),
                            "chunked")) {
    out.framing = Framing::kChunked;
    out.head.content_length.reset();  // Transfer-Encoding overrides Content-Length
  } else if (out.head.content_length) {
    out.framing = Framing::kLength;
  } else {
    out.framing = Framing::kClose;
    out.keep_alive = false;
  }
}

// Exactly LENGTH bytes to SINK (kNone: none; kClose: until EOF when LENGTH is nullopt).
Status copy_body(Connection& connection, std::optional<std::uint64_t> length,
                 const BodySink& sink) {
  std::vector<char> buffer(kBodyBuffer);
  std::uint64_t left = length.value_or(UINT64_MAX);
  while (left > 0) {
    auto got = connection.read_some(buffer.data(), std::min<std::uint64_t>(left, buffer.size()));
    TRY(got);
    if (*got == 0 && !length && !connection.closed_cleanly()) {
      return fail(ErrorKind::network,
                  "the TLS connection closed without close_notify: the body may be cut short");
    }
    if (*got == 0 && !length) return {};
    if (*got == 0)
      return fail(ErrorKind::network, "the connection was cut in the middle of the body");
    if (auto done = sink(buffer.data(), *got); !done) return done;
    left -= *got;
  }
  return {};
}

Status read_chunked(Connection& connection, const BodySink& sink) {
  for (;;) {
    auto line = connection.read_line();
    TRY(line);
    auto size = parse_length(base::trim(line->substr(0, line->find(';'))), 16);
    TRY(size);
    if (*size == 0) break;
    if (auto done = copy_body(connection, *size, sink); !done) return done;
    auto crlf = connection.read_line(2);
    if (!crlf || !crlf->empty()) return fail(ErrorKind::network, "a bad chunk in the body");
  }
  for (;;) {  // trailers, up to the empty line
    auto line = connection.read_line();
    TRY(line);
    if (line->empty()) return {};
  }
}

}  // namespace

std::string format_request(const HttpRequest& request) {
  const Url& url = request.url;
  bool default_port =
      (url.scheme == "http" && url.port == 80) || (url.scheme == "https" && url.port == 443);
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (!default_port) host += ":" + std::to_string(url.port);
  std::string out = request.method + " " + url.target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const auto& [name, value] : request.headers) out += name + ": " + value + "\r\n";
  if (!header(request.headers, "User-Agent")) out += "User-Agent: gpunb-agent\r\n";
  out += "Connection: keep-alive\r\n";
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  return out + "\r\n" + request.body;
}

Result<ResponseHead> read_head(Connection& connection, std::string_view method) {
  for (;;) {
    auto line = connection.read_line();
    TRY(line);
    bool http10 = false;
    auto status = parse_status_line(*line, http10);
    TRY(status);
    auto headers = read_headers(connection);
    TRY(headers);
    if (*status >= 100 && *status < 200 && *status != 101) continue;
    ResponseHead out;
    out.head.status = *status;
    out.head.headers = std::move(*headers);
    if (auto length = header(out.head.headers, "Content-Length")) {
      auto value = parse_length(base::trim(*length), 10);
      TRY(value);
      out.head.content_length = *value;
    }
    set_framing(out, method, http10);
    return out;
  }
}

Status read_body(Connection& connection, const ResponseHead& head, const BodySink& sink) {
  switch (head.framing) {
    case Framing::kNone:
      return {};
    case Framing::kLength:
      return copy_body(connection, head.head.content_length, sink);
    case Framing::kChunked:
      return read_chunked(connection, sink);
    case Framing::kClose:
      return copy_body(connection, std::nullopt, sink);
  }
  return {};
}

}  // namespace gpunb::data
