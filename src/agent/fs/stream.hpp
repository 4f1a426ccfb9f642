// Buffered reading and writing of the sync stream on plain file descriptors (stdin/stdout of
// `gpunb-agent receive|send`): JSON header lines and raw file bytes, 1 MiB at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace gpunb::agent {

inline constexpr size_t kStreamBlock = size_t{1} << 20;

class FdReader {
 public:
  explicit FdReader(int fd) : fd_(fd), buffer_(kStreamBlock) {}
  // The next line without its '\n'; nullopt at a clean end of input. Lines over MAX fail.
  Result<std::optional<std::string>> line(size_t max = size_t{64} << 20);
  // Hands the next SIZE bytes to SINK in chunks; false when the input ends first.
  using Sink = std::function<Status(const char* data, size_t size)>;
  Result<bool> bytes(std::uint64_t size, const Sink& sink);

 private:
  Result<bool> fill();  // false at end of input
  int fd_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
};

class FdWriter {
 public:
  explicit FdWriter(int fd) : fd_(fd) { buffer_.reserve(kStreamBlock + 4096); }
  Status add(std::string_view data);  // buffered; written once a block is full
  Status line(const std::string& text) { return add(text + '\n'); }
  Status flush();

 private:
  int fd_;
  std::string buffer_;
};

}  // namespace gpunb::agent
