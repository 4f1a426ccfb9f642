// One line at a time, both ways: what the agent protocol needs from a transport. An SSH exec
// channel satisfies it in production (deploy.cpp); tests use pipes to a local gpunb-agent.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace gpunb::remote {

class LineChannel {
 public:
  virtual ~LineChannel() = default;
  virtual core::Status write_line(std::string_view line) = 0;  // LINE holds no '\n'; one is added
  // One line without its '\n'; a network error on timeout or end of stream.
  virtual core::Result<std::string> read_line(std::chrono::milliseconds timeout) = 0;
};

}  // namespace gpunb::remote
