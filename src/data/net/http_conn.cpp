#include "data/net/http_conn.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/expected.hpp"

namespace gpunb::data {

Result<std::unique_ptr<Connection>> Connection::open(const Url& url, const HttpOptions& options,
                                                     const TlsContext* tls, Deadline deadline) {
  auto until = std::min(SteadyClock::now() + options.connect_timeout,
                        deadline.value_or(SteadyClock::time_point::max()));
  auto addresses = resolve_host(url.host);
  TRY(addresses);
  auto fd = tcp_connect(*addresses, url.port, until);
  if (!fd) {
    return fail(fd.error().kind,
                url.host + ":" + std::to_string(url.port) + ": " + fd.error().message);
  }
  std::optional<TlsStream> stream;
  if (url.scheme == "https") {
    auto made = TlsStream::handshake(*tls, fd->get(), url.host, until);
    TRY(made);
    stream = std::move(*made);
  }
  auto connection =
      std::make_unique<Connection>(std::move(*fd), std::move(stream), options.idle_timeout);
  connection->set_deadline(deadline);
  return connection;
}

SteadyClock::time_point Connection::step_deadline() const {
  auto idle = SteadyClock::now() + idle_;
  return deadline_ ? std::min(idle, *deadline_) : idle;
}

Error Connection::timed_out(std::string_view what) const {
  if (deadline_ && SteadyClock::now() >= *deadline_) {
    return {ErrorKind::timeout, std::string(what) + " timed out: the request's time is up"};
  }
  return {ErrorKind::timeout,
          std::string(what) + " timed out: no data for " + std::to_string(idle_.count()) + " ms"};
}

Status Connection::write(std::string_view data) {
  auto deadline = step_deadline();
  if (tls_) {
    auto sent = tls_->write(data, deadline);
    if (!sent && sent.error().kind == ErrorKind::timeout) return tl::unexpected(timed_out("send"));
    return sent;
  }
  while (!data.empty()) {
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      deadline = step_deadline();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN)
      return fail(ErrorKind::network, std::string("send: ") + std::strerror(errno));
    if (!wait_fd(fd_.get(), POLLOUT, deadline)) return tl::unexpected(timed_out("send"));
  }
  return {};
}

Result<size_t> Connection::read_socket(char* data, size_t size) {
  auto deadline = step_deadline();
  if (tls_) {
    auto got = tls_->read(data, size, deadline);
    if (!got && got.error().kind == ErrorKind::timeout) return tl::unexpected(timed_out("read"));
    return got;
  }
  for (;;) {
    ssize_t n = ::recv(fd_.get(), data, size, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN)
      return fail(ErrorKind::network, std::string("receive: ") + std::strerror(errno));
    if (!wait_fd(fd_.get(), POLLIN, deadline)) return tl::unexpected(timed_out("read"));
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
  TRY(got);
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
    TRY(fill());
  }
}

bool Connection::reusable() const {
  if (start_ < buffer_.size()) return false;
  if (tls_ && tls_->pending()) return false;
  return !socket_stale(fd_.get());
}

}  // namespace gpunb::data
