// Local sockets of the tunnel: the 127.0.0.1 listener and the accepted clients.
#pragma once

#include <unistd.h>

#include <utility>
#include <vector>

#include "base/fd.hpp"
#include "core/error.hpp"

namespace gpunb::ssh {

struct Listener {
  Fd fd;  // non-blocking
  int port = 0;
};

// Binds HOST (loopback only) at PORT; when taken and NEXT_FREE, the next ports (up to 100),
// never one of AVOID. PORT 0 takes any free port.
core::Result<Listener> listen_local(const std::string& host, int port, bool next_free,
                                    const std::vector<int>& avoid);

// Accepts one pending client (non-blocking, TCP_NODELAY); an empty Fd when none.
Fd accept_client(int listener);

}  // namespace gpunb::ssh
