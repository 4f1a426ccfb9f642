// A bounded, in-memory pipe between two threads: the downloader writes, the extractor reads, so a
// tar stream unpacks while it downloads. Either side can close it; the other then sees the end (the
// reader) or a failure (the writer).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

#include "base/error.hpp"

namespace gpunb::agent {

class BytePipe {
 public:
  explicit BytePipe(size_t capacity = size_t{16} << 20) : capacity_(capacity) {}
  Status write(const char* data, size_t size);     // blocks while full
  Result<size_t> read(char* buffer, size_t size);  // 0 at the end
  void close_write();                              // the reader then gets 0 after the data
  void close_read();                               // the writer's next write fails

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;
  size_t buffered_ = 0, offset_ = 0, capacity_;
  bool write_closed_ = false, read_closed_ = false;
};

}  // namespace gpunb::agent
