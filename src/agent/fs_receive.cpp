#include "agent/fs_receive.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "agent/fs_list.hpp"
#include "agent/fs_path.hpp"
#include "agent/fs_stream.hpp"
#include "agent/sha256.hpp"

namespace gpunb::agent {
namespace {

using Json = nlohmann::json;
constexpr size_t kFsyncEachUpTo = 8;  // files of a batch flushed one by one; more: syncfs()

struct Header {
  std::string path;
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::optional<std::int64_t> mtime_ns;  // none: the time of writing
};

struct Pending {
  int dir_fd;
  std::string temp, name, path, sha256;
  std::uint64_t size;
};

Outcome<Header> parse_header(const Json& json) {
  if (!json.is_object() || !json["path"].is_string() || !json["size"].is_number_unsigned() ||
      (json.contains("mode") && !json["mode"].is_number_unsigned()) ||
      (json.contains("mtime_ns") && !json["mtime_ns"].is_number_integer())) {
    return failure("usage", "malformed file header: " + json.dump().substr(0, 200));
  }
  Header header{json["path"].get<std::string>(), json["size"].get<std::uint64_t>()};
  if (json.contains("mode")) header.mode = json["mode"].get<std::uint32_t>() & 0777;
  if (json.contains("mtime_ns") && json["mtime_ns"].get<std::int64_t>() >= 0) {
    header.mtime_ns = json["mtime_ns"].get<std::int64_t>();
  }
  return header;
}

std::string errno_text() {
  return std::strerror(errno);
}

struct Temp {
  int dir_fd = -1;
  std::string temp, name;
  int fd = -1;
  void drop() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    ::unlinkat(dir_fd, temp.c_str(), 0);
  }
};

class Receiver {
 public:
  Receiver(int in, int out, RootDir root, ReceiveLimits limits)
      : in_(in), out_(out), root_(std::move(root)), limits_(limits) {}
  Done run();
  Done commit();
  Done flush_batch();
  Done say(const Json& line) { return out_.line(line.dump()); }
  Done flush() { return out_.flush(); }

 private:
  Done file(const Json& json);
  Done skip(const Header& header, const std::string& why);
  Outcome<Temp> open_temp(const Header& header);
  Outcome<std::string> receive_into(const Header& header, int fd);
  Done seal(Temp& temp, const Header& header);
  Outcome<std::optional<std::string>> trailer(const std::string& sha256);

  FdReader in_;
  FdWriter out_;
  RootDir root_;
  ReceiveLimits limits_;
  std::vector<Pending> batch_;
  std::uint64_t batch_bytes_ = 0, bytes_ = 0;
  size_t files_ = 0;
};

Done Receiver::run() {
  for (;;) {
    auto line = in_.line();
    if (!line) return tl::unexpected(line.error());
    if (!*line) return failure("network", "input ended before the end line");
    Json json = Json::parse(**line, nullptr, false);
    if (json.is_object() && json.value("end", false)) break;
    if (auto ok = file(json); !ok) return ok;
  }
  if (auto ok = commit(); !ok) return ok;
  if (auto ok = say({{"done", true}, {"files", files_}, {"bytes", bytes_}}); !ok) return ok;
  return out_.flush();
}

Done Receiver::file(const Json& json) {
  auto header = parse_header(json);
  if (!header) return tl::unexpected(header.error());
  if (batch_.size() >= limits_.batch_files || root_.open_dirs() >= limits_.open_dirs) {
    if (auto ok = commit(); !ok) return ok;
  }
  auto temp = open_temp(*header);
  if (!temp) return skip(*header, temp.error().message);
  auto sha = receive_into(*header, temp->fd);
  using Verdict = Outcome<std::optional<std::string>>;
  Verdict verdict = sha ? trailer(*sha) : Verdict(tl::unexpected(sha.error()));
  if (!verdict || *verdict) temp->drop();
  if (!verdict) return tl::unexpected(verdict.error());
  if (*verdict) return say({{"path", header->path}, {"error", **verdict}});
  if (auto sealed = seal(*temp, *header); !sealed) {
    temp->drop();
    return say({{"path", header->path}, {"error", sealed.error().message}});
  }
  batch_.push_back({temp->dir_fd, temp->temp, temp->name, header->path, *sha, header->size});
  batch_bytes_ += header->size;
  return batch_bytes_ >= limits_.batch_bytes ? commit() : Done();
}

// Mode and mtime on the complete temp file, which is then closed.
Done Receiver::seal(Temp& temp, const Header& header) {
  timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  if (header.mtime_ns) times[1] = {*header.mtime_ns / 1000000000, *header.mtime_ns % 1000000000};
  if (::fchmod(temp.fd, header.mode) != 0 || ::futimens(temp.fd, times) != 0) {
    return failure("internal", "cannot set mode and time: " + errno_text());
  }
  // A big file's writeback starts now, so the batch's flush finds most of it on disk already.
  if (header.size >= kStreamBlock) ::sync_file_range(temp.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  ::close(std::exchange(temp.fd, -1));
  return {};
}

// Reads past a refused file (its bytes and trailer) and says why.
Done Receiver::skip(const Header& header, const std::string& why) {
  auto read = in_.bytes(header.size, [](const char*, size_t) { return Done(); });
  if (!read) return tl::unexpected(read.error());
  if (!*read) return failure("network", "input ended inside " + header.path);
  if (auto end = trailer(""); !end) return tl::unexpected(end.error());
  return say({{"path", header.path}, {"error", why}});
}

Outcome<Temp> Receiver::open_temp(const Header& header) {
  auto split = check_relative_path(header.path);
  if (!split) return tl::unexpected(split.error());
  auto dir = root_.dir(split->dir, true);
  if (!dir) return tl::unexpected(dir.error());
  Temp temp{*dir, temp_name(split->name), split->name};
  temp.fd =
      ::openat(*dir, temp.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (temp.fd < 0) return failure("internal", "cannot create a temp file: " + errno_text());
  return temp;
}

// The file's bytes into FD; their SHA-256. Any failure here ends the stream.
Outcome<std::string> Receiver::receive_into(const Header& header, int fd) {
  Sha256 hash;
  auto read = in_.bytes(header.size, [&](const char* data, size_t size) -> Done {
    hash.update(data, size);
    auto ok = write_all(fd, data, size);
    if (!ok) return failure("internal", "cannot write " + header.path + ": " + ok.error().message);
    return ok;
  });
  if (!read) return tl::unexpected(read.error());
  if (!*read) return failure("network", "input ended inside " + header.path);
  return hash.hex_digest();
}

// The line after a file's bytes: {"sha256":HEX} (checked against SHA256 unless empty) or
// {"error":MSG} from a sender that could not read the file whole. A message when the file fails.
Outcome<std::optional<std::string>> Receiver::trailer(const std::string& sha256) {
  auto line = in_.line();
  if (!line) return tl::unexpected(line.error());
  if (!*line) return failure("network", "input ended before a file's trailer");
  Json json = Json::parse(**line, nullptr, false);
  if (json.is_object() && json["error"].is_string()) {
    return std::optional<std::string>("sender: " + json["error"].get<std::string>());
  }
  if (!json.is_object() || !json["sha256"].is_string())
    return failure("usage", "malformed trailer");
  if (!sha256.empty() && json["sha256"] != sha256) {
    return std::optional<std::string>("checksum mismatch (sent " +
                                      json["sha256"].get<std::string>() + ")");
  }
  return std::optional<std::string>();
}

// The batch's temp files onto the disk: one syncfs() (ext4 then commits its journal once for
// all), or for a few files an fsync() each, which does not wait for the rest of the machine's
// dirty data as syncfs() does.
Done Receiver::flush_batch() {
  if (batch_.size() > kFsyncEachUpTo) {
    if (::syncfs(root_.fd()) == 0) return {};
    return failure("internal", "syncfs failed: " + errno_text());
  }
  for (const Pending& file : batch_) {
    int fd = ::openat(file.dir_fd, file.temp.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    bool ok = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) return failure("internal", "cannot flush " + file.path + ": " + errno_text());
  }
  return {};
}

// One flush for the batch, then the renames, then the folders' fsyncs, then the replies.
Done Receiver::commit() {
  if (batch_.empty()) return {};
  if (auto ok = flush_batch(); !ok) return ok;
  std::vector<Json> replies;
  for (Pending& file : batch_) {
    if (::renameat(file.dir_fd, file.temp.c_str(), file.dir_fd, file.name.c_str()) == 0) {
      replies.push_back({{"path", file.path}, {"sha256", file.sha256}});
      ++files_;
      bytes_ += file.size;
      continue;
    }
    replies.push_back(
        {{"path", file.path}, {"error", "cannot rename into place: " + errno_text()}});
    ::unlinkat(file.dir_fd, file.temp.c_str(), 0);
  }
  batch_.clear();
  auto synced = root_.sync_dirs();
  root_.close_dirs();
  if (!synced) return synced;
  batch_bytes_ = 0;
  for (const Json& reply : replies) {
    if (auto ok = say(reply); !ok) return ok;
  }
  return out_.flush();
}

// Raises the soft limit on open files to the hard one; half of it may hold folders.
size_t folder_budget() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return 256;
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 1 << 16);
    ::setrlimit(RLIMIT_NOFILE, &files);
    ::getrlimit(RLIMIT_NOFILE, &files);
  }
  return static_cast<size_t>(files.rlim_cur / 2);
}

}  // namespace

int receive_stream(int in_fd, int out_fd, const std::string& root, ReceiveLimits limits) {
  ::signal(SIGPIPE, SIG_IGN);
  limits.open_dirs = std::min(limits.open_dirs, folder_budget());
  auto dir = RootDir::open(root, true);
  Done result = dir ? Done() : tl::unexpected(dir.error());
  if (dir) {
    auto cleaned = list_tree(root);  // removes stale temp files of interrupted runs
    if (!cleaned) result = tl::unexpected(cleaned.error());
  }
  if (!result) {
    std::string line = Json{{"error", result.error().message}}.dump() + "\n";
    (void)write_all(out_fd, line.data(), line.size());
    return 1;
  }
  Receiver receiver(in_fd, out_fd, std::move(*dir), limits);
  result = receiver.run();
  if (result) return 0;
  (void)receiver.commit();  // the complete files of the batch; the partial one is already gone
  (void)receiver.say({{"error", result.error().message}});
  (void)receiver.flush();
  return 1;
}

}  // namespace gpunb::agent
