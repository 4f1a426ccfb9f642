// `gpunb-agent send ROOT`: files to the laptop. The sync stream, the same both ways:
//   {"path":P,"size":N,"mode":M,"mtime_ns":T}\n   header (mode: permission bits)
//   N raw bytes
//   {"sha256":HEX}\n                               trailer; or {"error":MSG}: the sender could not
//                                                  read the file whole, the receiver drops it
//   ... then {"end":true}\n (send adds "files" and "bytes").
// send reads one line {"paths":[...]} first. A file it cannot send at all gets a header
// {"path":P,"error":MSG} with no bytes and no trailer.
#pragma once

#include <string>

namespace gpunb::agent {

int send_stream(int in_fd, int out_fd, const std::string& root);  // exit code

}  // namespace gpunb::agent
