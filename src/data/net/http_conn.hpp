// One HTTP/1.1 connection: a TCP socket, TLS over it for https, and a read buffer. Every wait is
// bounded: the connect deadline for setting up, the idle timeout for each read or write after,
// and, when a request has a whole timeout, that request's deadline too.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "data/net/http.hpp"
#include "data/net/socket.hpp"
#include "data/net/tls.hpp"

namespace gpunb::data {

// The end of one request's whole timeout; none: only the per-step timeouts apply.
using Deadline = std::optional<SteadyClock::time_point>;

class Connection {
 public:
  // Resolves URL's host, connects, and for https makes the TLS session (TLS must be set then),
  // within the connect timeout or by DEADLINE, whichever ends first (a name's DNS lookup keeps
  // its own timeouts; an IP literal asks nothing).
  static Result<std::unique_ptr<Connection>> open(const Url& url, const HttpOptions& options,
                                                  const TlsContext* tls, Deadline deadline);
  Connection(Fd fd, std::optional<TlsStream> tls, std::chrono::milliseconds idle)
      : fd_(std::move(fd)), tls_(std::move(tls)), idle_(idle) {}

  // Reads and writes from now on end by DEADLINE at the latest (set for each request, since a
  // kept-alive connection serves several).
  void set_deadline(Deadline deadline) { deadline_ = deadline; }
  Status write(std::string_view data);
  // Up to SIZE bytes (the buffer's first); 0 when the peer closed. Kind "timeout" on a timeout.
  Result<size_t> read_some(char* data, size_t size);
  // One line without its CRLF; fails on EOF or when longer than MAX.
  Result<std::string> read_line(size_t max = 64 * 1024);
  // False after a TLS peer closed without close_notify (see TlsStream::truncated).
  bool closed_cleanly() const { return !tls_ || !tls_->truncated(); }
  // Idle, nothing buffered, and not closed by the peer: fit for another request.
  bool reusable() const;

 private:
  Result<size_t> read_socket(char* data, size_t size);
  Status fill();                                  // reads more into buffer_
  SteadyClock::time_point step_deadline() const;  // the idle timeout from now, or deadline_
  Error timed_out(std::string_view what) const;   // says which of the two ran out

  Fd fd_;
  std::optional<TlsStream> tls_;
  std::chrono::milliseconds idle_;
  Deadline deadline_;
  std::string buffer_;
  size_t start_ = 0;  // unread bytes of buffer_ begin here
};

}  // namespace gpunb::data
