#include "agent/fetch/byte_pipe.hpp"

#include <algorithm>
#include <cstring>

namespace gpunb::agent {

Status BytePipe::write(const char* data, size_t size) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return read_closed_ || buffered_ < capacity_; });
  if (read_closed_) return fail(ErrorKind::internal, "the extraction stopped");
  chunks_.emplace_back(data, size);
  buffered_ += size;
  changed_.notify_all();
  return {};
}

Result<size_t> BytePipe::read(char* buffer, size_t size) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return write_closed_ || !chunks_.empty(); });
  size_t copied = 0;
  while (copied < size && !chunks_.empty()) {
    auto& front = chunks_.front();
    size_t n = std::min(size - copied, front.size() - offset_);
    std::memcpy(buffer + copied, front.data() + offset_, n);
    copied += n;
    offset_ += n;
    buffered_ -= n;
    if (offset_ == front.size()) {
      chunks_.pop_front();
      offset_ = 0;
    }
  }
  changed_.notify_all();
  return copied;
}

void BytePipe::close_write() {
  std::lock_guard lock(mutex_);
  write_closed_ = true;
  changed_.notify_all();
}

void BytePipe::close_read() {
  std::lock_guard lock(mutex_);
  read_closed_ = true;
  changed_.notify_all();
}

}  // namespace gpunb::agent
