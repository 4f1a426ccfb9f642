#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "base/hash.hpp"
#include "remote/transfer.hpp"
#include "remote/transfer_common.hpp"
#include "util/platform.hpp"

namespace gpunb::remote {
namespace {

using Json = nlohmann::json;
using Ms = std::chrono::milliseconds;
namespace fs = std::filesystem;

// ---- push: local files -> `agent receive` ----

// What goes to the channel next: headers, file bytes read straight in (no zero-fill first: a
// std::string would clear every byte of 500 MB before read() overwrites it), trailers.
class OutBuffer {
 public:
  OutBuffer() : data_(2 * kBlock) {}
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_.data(), size_}; }
  void clear() { size_ = 0; }
  OutBuffer& operator+=(std::string_view text) {
    std::memcpy(grow(text.size()), text.data(), text.size());
    return *this;
  }
  OutBuffer& operator+=(char c) { return *this += std::string_view(&c, 1); }
  // SIZE more bytes at the end, uninitialized: write into them, then shrink() what is unused.
  char* grow(size_t size) {
    if (size_ + size > data_.size()) data_.resize(std::max(size_ + size, 2 * data_.size()));
    size_ += size;
    return data_.data() + size_ - size;
  }
  void shrink(size_t by) { size_ -= by; }

 private:
  std::vector<char> data_;
  size_t size_ = 0;
};

class Pusher {
 public:
  Pusher(ByteChannel& channel, const fs::path& root, const std::vector<std::string>& paths,
         const ProgressFn& progress)
      : channel_(channel), root_(root), result_(start_result(paths)), progress_(progress) {
    index_ = index_of(result_.files);
  }
  TransferResult run();

 private:
  core::Status send(FileResult& file);
  core::Status stream(int fd, FileResult& file);
  core::Status flush();
  core::Status drain(Ms timeout);  // handles the replies that came
  void reply(const Json& json);

  ByteChannel& channel_;
  fs::path root_;
  TransferResult result_;
  const ProgressFn& progress_;
  std::map<std::string, size_t> index_;
  OutBuffer out_;
  std::string in_;
  bool done_ = false;
  TransferProgress sent_;
};

TransferResult Pusher::run() {
  sent_.files_total = result_.files.size();
  for (const FileResult& file : result_.files) {
    struct stat info {};
    if (::lstat((root_ / file.path).c_str(), &info) == 0)
      sent_.bytes_total += static_cast<std::uint64_t>(info.st_size);
  }
  core::Status status;
  for (size_t i = 0; status && !result_.error && i < result_.files.size(); ++i) {
    status = send(result_.files[i]);
  }
  if (status) {
    out_ += "{\"end\":true}\n";
    status = flush().and_then([&] { return channel_.send_eof(); });
  }
  while (status && !done_ && !result_.error) status = drain(kStall);
  if (!status && !result_.error) {
    (void)drain(Ms(200));  // the agent's own {"error":...} says more than a broken pipe
    if (!result_.error) result_.error = status.error();
  }
  for (const FileResult& file : result_.files) result_.bytes += file.ok ? file.size : 0;
  return std::move(result_);
}

core::Status Pusher::send(FileResult& file) {
  if (auto ok = check_relative_path(file.path); !ok) {
    file.error = ok.error().message;
    return {};
  }
  int fd = ::open((root_ / file.path).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat info {};
  if (fd < 0 || ::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    file.error =
        fd < 0 ? std::string("cannot open: ") + std::strerror(errno) : "not a regular file";
    if (fd >= 0) ::close(fd);
    return {};
  }
  file.size = static_cast<std::uint64_t>(info.st_size);
  file.mtime_ns = util::platform::mtime_ns(info);
  file.mode = info.st_mode & 0777;
  out_ += Json{{"path", file.path},
               {"size", file.size},
               {"mode", file.mode},
               {"mtime_ns", file.mtime_ns}}
              .dump();
  out_ += '\n';
  auto status = stream(fd, file);
  ::close(fd);
  ++sent_.files_done;
  if (progress_) progress_(sent_);
  return status;
}

// Exactly FILE.size bytes (zeros if it shrank), then the trailer: the hash, or an error when the
// file changed while it was read, so the agent drops it.
core::Status Pusher::stream(int fd, FileResult& file) {
  base::Hash hash;
  bool short_read = false;
  for (std::uint64_t left = file.size; left > 0;) {
    if (out_.size() >= kBlock) {
      if (auto ok = flush(); !ok) return ok;
    }
    size_t want = static_cast<size_t>(std::min<std::uint64_t>(left, kBlock));
    char* at = out_.grow(want);
    ssize_t n = short_read ? 0 : ::read(fd, at, want);
    if (n < 0 && errno == EINTR) {
      out_.shrink(want);
      continue;
    }
    if (n <= 0) {
      short_read = true;  // zeros for the rest
      std::memset(at, 0, want);
      n = static_cast<ssize_t>(want);
    } else {
      out_.shrink(want - static_cast<size_t>(n));
      hash.update(at, static_cast<size_t>(n));
    }
    left -= static_cast<std::uint64_t>(n);
    sent_.bytes_done += static_cast<std::uint64_t>(n);
  }
  struct stat after {};
  bool changed = short_read || ::fstat(fd, &after) != 0 ||
                 static_cast<std::uint64_t>(after.st_size) != file.size ||
                 util::platform::mtime_ns(after) != file.mtime_ns;
  file.sha256 = changed ? "" : hash.hex_digest();
  if (changed) file.error = "changed while it was read; not sent";
  out_ += changed ? Json{{"error", file.error}}.dump() : Json{{"sha256", file.sha256}}.dump();
  out_ += '\n';
  return {};
}

core::Status Pusher::flush() {
  if (out_.empty()) return {};
  auto ok = channel_.write(out_.view());
  out_.clear();
  return ok ? drain(Ms(0)) : ok;
}

core::Status Pusher::drain(Ms timeout) {
  char buffer[65536];
  for (;;) {
    auto got = channel_.read(buffer, sizeof buffer, timeout);
    if (!got) return done_ ? core::Status() : tl::unexpected(got.error());
    if (*got == 0)
      return timeout.count() == 0
                 ? core::Status()
                 : core::fail(core::ErrorKind::network, "the machine stopped answering");
    in_.append(buffer, *got);
    size_t start = 0;
    for (size_t nl; (nl = in_.find('\n', start)) != std::string::npos; start = nl + 1) {
      reply(Json::parse(in_.substr(start, nl - start), nullptr, false));
    }
    in_.erase(0, start);
    if (in_.size() > kMaxLine) return protocol_error("a reply of over 1 MiB with no end");
    if (timeout.count() > 0) return {};
  }
}

void Pusher::reply(const Json& json) {
  if (!json.is_object()) return void(result_.error = protocol_error("malformed reply").value());
  if (json.value("done", false)) return void(done_ = true);
  auto at = json["path"].is_string() ? index_.find(json["path"].get<std::string>()) : index_.end();
  if (at == index_.end()) {
    std::string why = json.value("error", "unexpected reply: " + json.dump().substr(0, 120));
    return void(result_.error =
                    core::Error{core::ErrorKind::internal, "gpunb-agent receive: " + why, {}});
  }
  FileResult& file = result_.files[at->second];
  std::string sha = json.value("sha256", "");
  file.ok = !sha.empty() && sha == file.sha256;
  file.error = file.ok ? "" : json.value("error", "checksum mismatch on the machine");
}

}  // namespace

TransferResult push_stream(ByteChannel& channel, const fs::path& local_root,
                           const std::vector<std::string>& paths, const ProgressFn& progress) {
  return Pusher(channel, local_root, paths, progress).run();
}

}  // namespace gpunb::remote
