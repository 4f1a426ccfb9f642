#include "data/net/http_conn.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace gpunb::data {

Result<std::unique_ptr<Connection>> Connection::open(const Url& url, const HttpOptions& options,
                                                     const TlsContext* tls) {
  auto deadline = SteadyClock::now() + options.connect_timeout;
  auto addresses = resolve_host(url.host);
  if (!addresses) return tl::unexpected(addresses.error());
  auto fd = tcp_connect(*addresses, url.port, deadline);
  if (!fd) {
    return fail(ErrorKind::network,
                url.host + ":" + std::to_string(url.port) + ": " + fd.error().message);
  }
  std::optional<TlsStream> stream;
  if (url.scheme == "https") {
    auto made = TlsStream::handshake(*tls, fd->get(), url.host, deadline);
    if (!made) return tl::unexpected(made.error());
    stream = std::move(*made);
  }
  return std::make_unique<Connection>(std::move(*fd), std::move(stream), options.idle_timeout);
}

Status Connection::write(std::string_view data) {
  auto deadline = SteadyClock::now() + idle_;
  if (tls_) return tls_->write(data, deadline);
  while (!data.empty()) {
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      deadline = SteadyClock::now() + idle_;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN)
      return fail(ErrorKind::network, std::string("send: ") + std::strerror(errno));
    if (!wait_fd(fd_.get(), POLLOUT, deadline)) return fail(ErrorKind::timeout, "send timed out");
  }
  return {};
}

Result<size_t> Connection::read_socket(char* data, size_t size) {
  auto deadline = SteadyClock::now() + idle_;
  if (tls_) {
    auto got = tls_->read(data, size, deadline);
    if (!got && got.error().kind == ErrorKind::timeout) {
      return fail(ErrorKind::timeout,
                  "timed out: no data for " + std::to_string(idle_.count()) + " ms");
    }
    return got;
  }
  for (;;) {
    ssize_t n = ::recv(fd_.get(), data, size, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN)
      return fail(ErrorKind::network, std::string("receive: ") + std::strerror(errno));
    if (!wait_fd(fd_.get(), POLLIN, deadline)) {
      return fail(ErrorKind::timeout,
                  "timed out: no data for " + std::to_string(idle_.count()) + " ms");
    }
  }
}

Result<size_t> Connection::read_some(char* data, size_t size) {
  if (start_ < buffer_.size()) {
    size_t n = std::min(size, buffer_.size() - start_);
    std::memcpy(data, buffer_.data() + start_, n);
    start_ += n;
    return n;
  }
  return read_socket(data, size);
}

Status Connection::fill() {
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  size_t old = buffer_.size();
  buffer_.resize(old + 16 * 1024);
  auto got = read_socket(buffer_.data() + old, 16 * 1024);
  buffer_.resize(old + (got ? *got : 0));
  if (!got) return tl::unexpected(got.error());
  if (*got == 0) return fail(ErrorKind::network, "the connection was closed");
  return {};
}

Result<std::string> Connection::read_line(size_t max) {
  for (;;) {
    auto end = buffer_.find('\n', start_);
    if (end != std::string::npos) {
      std::string line = buffer_.substr(start_, end - start_);
      start_ = end + 1;
      if (line.ends_with('\r')) line.pop_back();
      return line;
    }
    if (buffer_.size() - start_ > max) return fail(ErrorKind::network, "a header line too long");
    if (auto done = fill(); !done) return tl::unexpected(done.error());
  }
}

bool Connection::reusable() const {
  if (start_ < buffer_.size()) return false;
  if (tls_ && tls_->pending()) return false;
  return !socket_stale(fd_.get());
}

}  // namespace gpunb::data
