// Local sockets of the tunnel: the 127.0.0.1 listener and the accepted clients.
#pragma once

#include <unistd.h>

#include <utility>
#include <vector>

#include "core/error.hpp"

namespace gpunb::ssh {

// Owns a file descriptor; move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Listener {
  UniqueFd fd;  // non-blocking
  int port = 0;
};

// Binds HOST (loopback only) at PORT; when taken and NEXT_FREE, the next ports (up to 100),
// never one of AVOID. PORT 0 takes any free port.
core::Result<Listener> listen_local(const std::string& host, int port, bool next_free,
                                    const std::vector<int>& avoid);

// Accepts one pending client (non-blocking, TCP_NODELAY); an empty UniqueFd when none.
UniqueFd accept_client(int listener);

}  // namespace gpunb::ssh
