// HTTP/1.1 on the wire: the request text, the response head, and the body by its framing
// (Content-Length, chunked, or until the server closes).
#pragma once

#include <cstdint>
#include <string>

#include "data/net/http.hpp"
#include "data/net/http_conn.hpp"

namespace gpunb::data {

enum class Framing { kNone, kLength, kChunked, kClose };

struct ResponseHead {
  HttpHead head;
  bool keep_alive = true;
  Framing framing = Framing::kNone;
};

// The request line and headers (Host, Connection: keep-alive, Content-Length added) and the body.
std::string format_request(const HttpRequest& request);
// Reads the head of the response to a METHOD request (1xx interim responses skipped).
Result<ResponseHead> read_head(Connection& connection, std::string_view method);
// Reads the body as framed, handing it to SINK; the connection is at the next response after.
Status read_body(Connection& connection, const ResponseHead& head, const BodySink& sink);

}  // namespace gpunb::data
