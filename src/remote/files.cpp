#include "remote/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>

#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"
#include "util/platform.hpp"

namespace gpunb::remote {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kTempMark = ".gpunb-tmp-";

tl::unexpected<core::Error> io_error(const std::string& what, const fs::path& path) {
  return core::fail(core::ErrorKind::internal,
                    "cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

// mkdir -p below ROOT, refusing any existing part that is a symlink or not a folder.
core::Status make_parents(const fs::path& root, const std::string& path) {
  fs::path dir = root;
  fs::path parent = fs::path(path).parent_path();
  for (const auto& part : parent) {
    dir /= part;
    struct stat info {};
    if (::lstat(dir.c_str(), &info) == 0) {
      if (S_ISDIR(info.st_mode)) continue;
      return core::fail(core::ErrorKind::refused, dir.string() + " is a symlink or not a folder");
    }
    if (errno != ENOENT || (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)) {
      return io_error("create", dir);
    }
  }
  return {};
}

bool stale_temp(std::string_view name) {
  std::string_view rest = name.substr(name.rfind(kTempMark) + kTempMark.size());
  int pid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  if (ec != std::errc() || pid <= 0 || end == rest.data() + rest.size() || *end != '-') return true;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

core::Status check_relative_path(std::string_view path) {
  bool bad = path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos;
  for (size_t start = 0; !bad;) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    bad = part.empty() || part == "." || part == "..";
    if (end == path.size()) break;
    start = end + 1;
  }
  bad = bad || is_temp_name(fs::path(path).filename().string());
  if (!bad) return {};
  return core::fail(core::ErrorKind::refused, "unsafe path: " + std::string(path));
}

bool is_temp_name(std::string_view name) {
  return name.size() > 1 && name.front() == '.' && name.find(kTempMark) != std::string_view::npos;
}

core::Result<IncomingFile> IncomingFile::create(const fs::path& root, const std::string& path) {
  TRY(check_relative_path(path));
  TRY(make_parents(root, path));
  fs::path final_path = root / path;
  std::string name = final_path.filename().string();
  fs::path temp =
      final_path.parent_path() / ("." + name.substr(0, 160) + std::string(kTempMark) +
                                  std::to_string(::getpid()) + "-" + base::random_hex(4));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("create", temp);
  return IncomingFile(path, temp, final_path, fd);
}

IncomingFile::IncomingFile(IncomingFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::move(other.temp_)),
      final_(std::move(other.final_)),
      fd_(std::exchange(other.fd_, -1)),
      finished_(std::exchange(other.finished_, true)) {}

IncomingFile::~IncomingFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_ && !temp_.empty()) ::unlink(temp_.c_str());
}

core::Status IncomingFile::write(const char* data, size_t size) {
  if (!base::write_all(fd_, data, size)) return io_error("write", temp_);
  written_ += size;
  return {};
}

core::Status IncomingFile::finish(std::uint32_t mode, std::int64_t mtime_ns) {
  timespec times[2] = {{0, UTIME_OMIT}, {mtime_ns / 1000000000, mtime_ns % 1000000000}};
  if (::fchmod(fd_, mode & kPulledModeMask) != 0 || ::futimens(fd_, times) != 0)
    return io_error("set times of", temp_);
  if (::close(std::exchange(fd_, -1)) != 0) return io_error("write", temp_);
  return {};
}

IncomingBatch::IncomingBatch(const fs::path& root) : root_(root.lexically_normal()) {
  if (!root_.has_filename()) root_ = root_.parent_path();
}

void IncomingBatch::add(IncomingFile file, std::uint64_t size) {
  bytes_ += size;
  files_.push_back(std::move(file));
}

// One flush of the file system for the batch, or for a few files (or where the OS cannot flush
// a file system and wait) an fsync() each, which does not wait for the rest of the dirty data.
bool IncomingBatch::flush() const {
  if (files_.size() > 8 && util::platform::kSyncsFileSystem) {
    int root_fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool synced = root_fd >= 0 && util::platform::sync_filesystem(root_fd);
    if (root_fd >= 0) ::close(root_fd);
    return synced;
  }
  for (const IncomingFile& file : files_) {
    int fd = ::open(file.temp_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    bool ok = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) return false;
  }
  return true;
}

std::vector<Committed> IncomingBatch::commit() {
  std::vector<Committed> done;
  bool synced = flush();
  std::set<fs::path> dirs;
  for (IncomingFile& file : files_) {
    core::Status status = synced ? core::Status() : io_error("sync the folder of", file.final_);
    if (status && ::rename(file.temp_.c_str(), file.final_.c_str()) != 0)
      status = io_error("rename into", file.final_);
    file.finished_ = bool(status);
    for (fs::path dir = file.final_.parent_path();
         status && dir.string().size() >= root_.string().size(); dir = dir.parent_path()) {
      if (!dirs.insert(dir).second) break;  // its parents are in already
    }
    done.push_back({file.path_, std::move(status)});
  }
  for (const fs::path& dir : dirs) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) ::fsync(fd), ::close(fd);
  }
  files_.clear();
  bytes_ = 0;
  return done;
}

size_t remove_stale_temps(const fs::path& root) {
  size_t removed = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (it->is_directory(ec) && (name == ".git" || name == "__pycache__"))
      it.disable_recursion_pending();
    if (it->is_regular_file(ec) && is_temp_name(name) && stale_temp(name) &&
        ::unlink(it->path().c_str()) == 0) {
      ++removed;
    }
  }
  return removed;
}

core::Result<std::vector<RemoteEntry>> list_remote(Agent& agent, const std::string& root) {
  auto reply = agent.call("fs.list", {{"root", root}}, std::chrono::minutes(5));
  TRY(reply);
  std::vector<RemoteEntry> entries;
  try {
    for (const auto& entry : reply->at("entries")) {
      entries.push_back({entry.at("path").get<std::string>(), entry.at("size").get<std::uint64_t>(),
                         entry.at("mtime_ns").get<std::int64_t>(),
                         entry.at("mode").get<std::uint32_t>(), entry.value("symlink", false)});
    }
  } catch (const nlohmann::json::exception&) {
    return core::fail(core::ErrorKind::internal,
                      "gpunb-agent protocol error: malformed fs.list reply");
  }
  return entries;
}

core::Result<std::map<std::string, std::string>> hash_remote(
    Agent& agent, const std::string& root, const std::vector<std::string>& paths) {
  auto reply = agent.call("fs.hash", {{"root", root}, {"paths", paths}}, std::chrono::minutes(30));
  TRY(reply);
  std::map<std::string, std::string> hashes;
  if (!(*reply)["hashes"].is_object()) {
    return core::fail(core::ErrorKind::internal,
                      "gpunb-agent protocol error: malformed fs.hash reply");
  }
  for (const auto& [path, sha] : (*reply)["hashes"].items()) {
    if (sha.is_string()) hashes[path] = sha.get<std::string>();
  }
  return hashes;
}

core::Result<std::vector<std::string>> delete_remote(Agent& agent, const std::string& root,
                                                     const std::vector<std::string>& paths) {
  auto reply = agent.call("fs.delete", {{"root", root}, {"paths", paths}}, std::chrono::minutes(5));
  TRY(reply);
  std::vector<std::string> gone;
  for (const char* key : {"deleted", "missing"}) {
    if (!(*reply)[key].is_array()) continue;
    for (const auto& path : (*reply)[key]) {
      if (path.is_string()) gone.push_back(path.get<std::string>());
    }
  }
  return gone;
}

}  // namespace gpunb::remote
