#include "agent/fs/receive.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "agent/fs/list.hpp"
#include "agent/fs/path.hpp"
#include "agent/fs/receive_batch.hpp"
#include "agent/fs/stream.hpp"
#include "agent/host/transfer_mark.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

using Json = nlohmann::json;

struct Header {
  std::string path;
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::optional<std::int64_t> mtime_ns;  // none: the time of writing
};

Result<Header> parse_header(const Json& json) {
  if (!json.is_object() || !json["path"].is_string() || !json["size"].is_number_unsigned() ||
      (json.contains("mode") && !json["mode"].is_number_unsigned()) ||
      (json.contains("mtime_ns") && !json["mtime_ns"].is_number_integer())) {
    return fail(ErrorKind::usage, "malformed file header: " + json.dump().substr(0, 200));
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

// Receives into one batch while the previous one commits on its own thread: the flush of batch
// N, its renames and folder fsyncs overlap the arrival of batch N+1. One commit at a time, and
// its replies are written here, before the next batch starts committing.
class Receiver {
 public:
  Receiver(int in, int out, RootDir root, RootDir spare, ReceiveLimits limits)
      : in_(in), out_(out), batch_{std::move(root)}, spare_(std::move(spare)), limits_(limits) {}
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  ~Receiver() {
    if (committer_.joinable()) committer_.join();
  }
  Status run();
  Status commit();  // the batch being received, and the one committing: both done when it returns
  Status say(const Json& line) { return out_.line(line.dump()); }
  Status flush() { return out_.flush(); }

 private:
  Status file(const Json& json);
  Status skip(const Header& header, const std::string& why);
  Result<Temp> open_temp(const Header& header);
  Result<std::string> receive_into(const Header& header, int fd);
  Status seal(Temp& temp, const Header& header);
  Result<std::optional<std::string>> trailer(const std::string& sha256);
  Status hand_off();  // the batch to the committing thread, after the previous commit is done
  Status collect();   // waits for the commit in flight, if any, and replies for its files

  FdReader in_;
  FdWriter out_;
  Batch batch_;                   // being received
  std::optional<RootDir> spare_;  // the other batch's folders, when none is committing
  std::future<Committed> committing_;
  std::thread committer_;
  ReceiveLimits limits_;
  std::uint64_t bytes_ = 0;
  size_t files_ = 0;
};

Status Receiver::run() {
  for (;;) {
    auto line = in_.line();
    TRY(line);
    if (!*line) return fail(ErrorKind::network, "input ended before the end line");
    Json json = Json::parse(**line, nullptr, false);
    if (json.is_object() && json.value("end", false)) break;
    if (auto ok = file(json); !ok) return ok;
  }
  if (auto ok = commit(); !ok) return ok;
  if (auto ok = say({{"done", true}, {"files", files_}, {"bytes", bytes_}}); !ok) return ok;
  return out_.flush();
}

Status Receiver::hand_off() {
  if (batch_.files.empty()) return {};
  if (auto ok = collect(); !ok) return ok;
  Batch next{std::move(*spare_)};
  spare_.reset();
  auto task = std::make_shared<std::packaged_task<Committed()>>(
      [batch = std::exchange(batch_, std::move(next))]() mutable {
        return commit_batch(std::move(batch));
      });
  committing_ = task->get_future();
  try {
    committer_ = std::thread([task] { (*task)(); });
  } catch (const std::system_error&) {
    (*task)();  // no thread to be had: the commit runs here
  }
  return {};
}

Status Receiver::collect() {
  if (!committing_.valid()) return {};
  Committed done = committing_.get();
  if (committer_.joinable()) committer_.join();
  spare_.emplace(std::move(done.dirs));
  if (!done.status) return done.status;
  files_ += done.files;
  bytes_ += done.bytes;
  for (const Json& reply : done.replies) {
    if (auto ok = say(reply); !ok) return ok;
  }
  return out_.flush();
}

Status Receiver::commit() {
  auto handed = hand_off();
  auto collected = collect();
  return handed ? collected : handed;
}

Status Receiver::file(const Json& json) {
  auto header = parse_header(json);
  TRY(header);
  if (batch_.files.size() >= limits_.batch_files || batch_.dirs.open_dirs() >= limits_.open_dirs) {
    if (auto ok = hand_off(); !ok) return ok;
  }
  auto temp = open_temp(*header);
  if (!temp) return skip(*header, temp.error().message);
  auto sha = receive_into(*header, temp->fd);
  using Verdict = Result<std::optional<std::string>>;
  Verdict verdict = sha ? trailer(*sha) : Verdict(tl::unexpected(sha.error()));
  if (!verdict || *verdict) temp->drop();
  TRY(verdict);
  if (*verdict) return say({{"path", header->path}, {"error", **verdict}});
  if (auto sealed = seal(*temp, *header); !sealed) {
    temp->drop();
    return say({{"path", header->path}, {"error", sealed.error().message}});
  }
  batch_.files.push_back({temp->dir_fd, temp->temp, temp->name, header->path, *sha, header->size});
  batch_.bytes += header->size;
  bool idle = !committing_.valid() ||
              committing_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  bool full = batch_.bytes >= limits_.batch_bytes ||
              (idle && (batch_.files.size() >= limits_.idle_batch_files ||
                        batch_.bytes >= limits_.idle_batch_bytes));
  return full ? hand_off() : Status();
}

// Mode and mtime on the complete temp file, which is then closed.
Status Receiver::seal(Temp& temp, const Header& header) {
  timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  if (header.mtime_ns) times[1] = {*header.mtime_ns / 1000000000, *header.mtime_ns % 1000000000};
  if (::fchmod(temp.fd, header.mode) != 0 || ::futimens(temp.fd, times) != 0) {
    return fail(ErrorKind::internal, "cannot set mode and time: " + errno_text());
  }
  // A big file's writeback starts now, so the batch's flush finds most of it on disk already.
  if (header.size >= kStreamBlock) ::sync_file_range(temp.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  ::close(std::exchange(temp.fd, -1));
  return {};
}

// Reads past a refused file (its bytes and trailer) and says why.
Status Receiver::skip(const Header& header, const std::string& why) {
  auto read = in_.bytes(header.size, [](const char*, size_t) { return Status(); });
  TRY(read);
  if (!*read) return fail(ErrorKind::network, "input ended inside " + header.path);
  TRY(trailer(""));
  return say({{"path", header.path}, {"error", why}});
}

Result<Temp> Receiver::open_temp(const Header& header) {
  auto split = check_relative_path(header.path);
  TRY(split);
  auto dir = batch_.dirs.dir(split->dir, true);
  TRY(dir);
  Temp temp{*dir, temp_name(split->name), split->name};
  temp.fd =
      ::openat(*dir, temp.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (temp.fd < 0) return fail(ErrorKind::internal, "cannot create a temp file: " + errno_text());
  return temp;
}

// The file's bytes into FD; their SHA-256. Any failure here ends the stream.
Result<std::string> Receiver::receive_into(const Header& header, int fd) {
  base::Hash hash;
  auto read = in_.bytes(header.size, [&](const char* data, size_t size) -> Status {
    hash.update(data, size);
    auto ok = base::write_all(fd, data, size);
    if (!ok)
      return fail(ErrorKind::internal, "cannot write " + header.path + ": " + ok.error().message);
    return ok;
  });
  TRY(read);
  if (!*read) return fail(ErrorKind::network, "input ended inside " + header.path);
  return hash.hex_digest();
}

// The line after a file's bytes: {"sha256":HEX} (checked against SHA256 unless empty) or
// {"error":MSG} from a sender that could not read the file whole. A message when the file fails.
Result<std::optional<std::string>> Receiver::trailer(const std::string& sha256) {
  auto line = in_.line();
  TRY(line);
  if (!*line) return fail(ErrorKind::network, "input ended before a file's trailer");
  Json json = Json::parse(**line, nullptr, false);
  if (json.is_object() && json["error"].is_string()) {
    return std::optional<std::string>("sender: " + json["error"].get<std::string>());
  }
  if (!json.is_object() || !json["sha256"].is_string())
    return fail(ErrorKind::usage, "malformed trailer");
  if (!sha256.empty() && json["sha256"] != sha256) {
    return std::optional<std::string>("checksum mismatch (sent " +
                                      json["sha256"].get<std::string>() + ")");
  }
  return std::optional<std::string>();
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
  TransferMark mark("receive");  // keeps the idle watcher off while files arrive
  ::signal(SIGPIPE, SIG_IGN);
  // Two batches hold folders at a time: the one arriving and the one committing.
  limits.open_dirs = std::min(limits.open_dirs, folder_budget() / 2);
  auto dir = RootDir::open(root, true);
  auto spare = dir ? RootDir::open(root, false) : tl::unexpected(dir.error());
  Status result = spare ? Status() : tl::unexpected(spare.error());
  if (result) {
    auto cleaned = list_tree(root);  // removes stale temp files of interrupted runs
    if (!cleaned) result = tl::unexpected(cleaned.error());
  }
  if (!result) {
    std::string line = Json{{"error", result.error().message}}.dump() + "\n";
    (void)base::write_all(out_fd, line.data(), line.size());
    return 1;
  }
  Receiver receiver(in_fd, out_fd, std::move(*dir), std::move(*spare), limits);
  result = receiver.run();
  if (result) return 0;
  (void)receiver.commit();  // the complete files of the batches; the partial one is already gone
  (void)receiver.say({{"error", result.error().message}});
  (void)receiver.flush();
  return 1;
}

}  // namespace gpunb::agent
