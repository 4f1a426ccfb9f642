// One HTTP/1.1 connection: a TCP socket, TLS over it for https, and a read buffer. Every wait is
// bounded: the connect deadline for setting up, the idle timeout for each read or write after.
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

class Connection {
 public:
  // Resolves URL's host, connects, and for https makes the TLS session (TLS must be set then).
  static Result<std::unique_ptr<Connection>> open(const Url& url, const HttpOptions& options,
                                                  const TlsContext* tls);
  Connection(Fd fd, std::optional<TlsStream> tls, std::chrono::milliseconds idle)
      : fd_(std::move(fd)), tls_(std::move(tls)), idle_(idle) {}

  Status write(std::string_view data);
  // Up to SIZE bytes (the buffer's first); 0 when the peer closed. Kind "network" on a timeout.
  Result<size_t> read_some(char* data, size_t size);
  // One line without its CRLF; fails on EOF or when longer than MAX.
  Result<std::string> read_line(size_t max = 64 * 1024);
  // False after a TLS peer closed without close_notify (see TlsStream::truncated).
  bool closed_cleanly() const { return !tls_ || !tls_->truncated(); }
  // Idle, nothing buffered, and not closed by the peer: fit for another request.
  bool reusable() const;

 private:
  Result<size_t> read_socket(char* data, size_t size);
  Status fill();  // reads more into buffer_

  Fd fd_;
  std::optional<TlsStream> tls_;
  std::chrono::milliseconds idle_;
  std::string buffer_;
  size_t start_ = 0;  // unread bytes of buffer_ begin here
};

}  // namespace gpunb::data
