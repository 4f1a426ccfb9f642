#include "agent/fs/stream.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/expected.hpp"
#include "base/files.hpp"

namespace gpunb::agent {

Result<bool> FdReader::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  for (;;) {
    ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorKind::network, std::string("read failed: ") + std::strerror(errno));
    end_ += static_cast<size_t>(n);
    return n > 0;
  }
}

Result<std::optional<std::string>> FdReader::line(size_t max) {
  size_t scanned = begin_;
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const void* nl = std::memchr(buffer_.data() + scanned, '\n', end_ - scanned);
    if (nl != nullptr) {
      std::string text(start, static_cast<const char*>(nl));
      begin_ += text.size() + 1;
      return text;
    }
    if (end_ - begin_ > max) return fail(ErrorKind::usage, "stream line too long");
    scanned = end_ - begin_;  // offsets move with fill()
    auto more = fill();
    TRY(more);
    if (!*more) {
      if (begin_ == end_) return std::optional<std::string>();
      return fail(ErrorKind::network, "input ended inside a line");
    }
    scanned += begin_;
  }
}

Result<bool> FdReader::bytes(std::uint64_t size, const Sink& sink) {
  while (size > 0) {
    if (begin_ == end_) {
      begin_ = end_ = 0;
      auto more = fill();
      TRY(more);
      if (!*more) return false;
    }
    size_t take = static_cast<size_t>(std::min<std::uint64_t>(size, end_ - begin_));
    TRY(sink(buffer_.data() + begin_, take));
    begin_ += take;
    size -= take;
  }
  return true;
}

Status FdWriter::add(std::string_view data) {
  if (buffer_.size() + data.size() <= kStreamBlock) {
    buffer_.append(data);
    return {};
  }
  if (auto ok = flush(); !ok) return ok;
  if (data.size() >= kStreamBlock) return base::write_all(fd_, data.data(), data.size());
  buffer_.append(data);
  return {};
}

Status FdWriter::flush() {
  auto ok = base::write_all(fd_, buffer_.data(), buffer_.size());
  buffer_.clear();
  return ok;
}

}  // namespace gpunb::agent
