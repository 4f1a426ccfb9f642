#include "agent/fs/send.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "agent/fs/path.hpp"
#include "agent/fs/stream.hpp"
#include "agent/host/transfer_mark.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

using Json = nlohmann::json;

std::int64_t mtime_ns(const struct stat& info) {
  return std::int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec;
}

class Sender {
 public:
  Sender(int out, std::optional<RootDir> root) : out_(out), root_(std::move(root)) {}
  Status file(const std::string& path);
  Status end();

 private:
  Result<int> open(const std::string& path);
  Status stream(int fd, const struct stat& before);

  FdWriter out_;
  std::optional<RootDir> root_;
  std::vector<char> block_ = std::vector<char>(kStreamBlock);
  std::uint64_t bytes_ = 0;
  size_t files_ = 0;
};

Result<int> Sender::open(const std::string& path) {
  auto split = check_relative_path(path);
  TRY(split);
  if (!root_) return fail(ErrorKind::not_found, "the folder does not exist");
  if (root_->open_dirs() >= 128) root_->close_dirs();
  auto dir = root_->dir(split->dir, false);
  TRY(dir);
  int fd = ::openat(*dir, split->name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) return fd;
  if (errno == ENOENT) return fail(ErrorKind::not_found, "no such file");
  return fail(ErrorKind::refused, std::string("cannot open: ") + std::strerror(errno));
}

Status Sender::file(const std::string& path) {
  auto fd = open(path);
  struct stat info {};
  std::string why = fd ? "" : fd.error().message;
  if (fd && (::fstat(*fd, &info) != 0 || !S_ISREG(info.st_mode))) why = "not a regular file";
  if (!why.empty()) {
    if (fd) ::close(*fd);
    return out_.line(Json{{"path", path}, {"error", why}}.dump());
  }
  Json header{{"path", path},
              {"size", static_cast<std::uint64_t>(info.st_size)},
              {"mode", info.st_mode & 0777},
              {"mtime_ns", mtime_ns(info)}};
  auto ok = out_.line(header.dump()).and_then([&] { return stream(*fd, info); });
  ::close(*fd);
  return ok;
}

// Exactly BEFORE.st_size bytes (zeros when the file shrank), then the trailer.
Status Sender::stream(int fd, const struct stat& before) {
  base::Hash hash;
  auto left = static_cast<std::uint64_t>(before.st_size);
  bool short_read = false;
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<std::uint64_t>(left, block_.size()));
    ssize_t n = ::read(fd, block_.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      short_read = true;
      std::memset(block_.data(), 0, want);
      n = static_cast<ssize_t>(want);
    }
    if (!short_read) hash.update(block_.data(), static_cast<size_t>(n));
    if (auto ok = out_.add(std::string_view(block_.data(), static_cast<size_t>(n))); !ok) return ok;
    left -= static_cast<std::uint64_t>(n);
  }
  struct stat after {};
  bool changed = short_read || ::fstat(fd, &after) != 0 || after.st_size != before.st_size ||
                 mtime_ns(after) != mtime_ns(before);
  if (changed) return out_.line(Json{{"error", "the file changed while it was sent"}}.dump());
  ++files_;
  bytes_ += static_cast<std::uint64_t>(before.st_size);
  return out_.line(Json{{"sha256", hash.hex_digest()}}.dump());
}

Status Sender::end() {
  auto ok = out_.line(Json{{"end", true}, {"files", files_}, {"bytes", bytes_}}.dump());
  return ok ? out_.flush() : ok;
}

Result<std::vector<std::string>> read_request(int in_fd) {
  FdReader in(in_fd);
  auto line = in.line();
  TRY(line);
  if (!*line) return fail(ErrorKind::usage, "no request line");
  Json request = Json::parse(**line, nullptr, false);
  if (!request.is_object() || !request["paths"].is_array()) {
    return fail(ErrorKind::usage, "expected {\"paths\":[...]}");
  }
  std::vector<std::string> paths;
  for (const Json& path : request["paths"]) {
    if (!path.is_string()) return fail(ErrorKind::usage, "paths must be strings");
    paths.push_back(path.get<std::string>());
  }
  return paths;
}

}  // namespace

int send_stream(int in_fd, int out_fd, const std::string& root) {
  TransferMark mark("send");  // keeps the idle watcher off; a whole pull is recorded below
  ::signal(SIGPIPE, SIG_IGN);
  auto paths = read_request(in_fd);
  auto dir = RootDir::open(root, false);
  if (!paths || (!dir && dir.error().kind != ErrorKind::not_found)) {
    std::string why = !paths ? paths.error().message : dir.error().message;
    std::string line = Json{{"error", why}}.dump() + "\n";
    (void)base::write_all(out_fd, line.data(), line.size());
    return 1;
  }
  Sender sender(out_fd, dir ? std::optional<RootDir>(std::move(*dir)) : std::nullopt);
  for (const std::string& path : *paths) {
    if (!sender.file(path)) return 1;  // the laptop went away
  }
  return mark.record_pull(root, static_cast<bool>(sender.end())) ? 0 : 1;
}

}  // namespace gpunb::agent
