// Plain TCP probes (no data but a peer's greeting is read).
#pragma once

#include <chrono>
#include <string>

namespace gpunb::net {

// True when HOST:PORT accepts a connection within `timeout` and, when `banner_prefix` is not
// empty, its first bytes start with it (e.g. "SSH-" for an SSH server).
bool probe_tcp(const std::string& host, int port, std::chrono::milliseconds timeout,
               const std::string& banner_prefix = {});

}  // namespace gpunb::net
