#include "agent/fs/path.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "agent/host/files.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

constexpr std::string_view kTempMark = ".gpunb-tmp-";

std::string errno_text() {
  return std::strerror(errno);
}

Result<int> open_child(int parent, const std::string& name, const std::string& shown, bool create) {
  int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(parent, name.c_str(), flags);
  if (fd < 0 && errno == ENOENT && create) {
    if (::mkdirat(parent, name.c_str(), 0755) != 0 && errno != EEXIST) {
      return fail(ErrorKind::internal, "cannot create " + shown + ": " + errno_text());
    }
    fd = ::openat(parent, name.c_str(), flags);
  }
  if (fd >= 0) return fd;
  if (errno == ELOOP || errno == ENOTDIR) {
    return fail(ErrorKind::refused, shown + " is a symlink or not a folder");
  }
  if (errno == ENOENT) return fail(ErrorKind::not_found, shown + " does not exist");
  return fail(ErrorKind::internal, "cannot open " + shown + ": " + errno_text());
}

}  // namespace

Result<SplitPath> check_relative_path(std::string_view path) {
  auto bad = [&](const char* why) {
    return fail(ErrorKind::usage, "unsafe path (" + std::string(why) + "): " + std::string(path));
  };
  if (path.empty()) return bad("empty");
  if (path.front() == '/') return bad("absolute");
  if (path.find('\0') != std::string_view::npos) return bad("NUL");
  size_t start = 0;
  for (;;) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return bad("'', '.' or '..' part");
    if (end == path.size()) break;
    start = end + 1;
  }
  size_t slash = path.rfind('/');
  SplitPath split{slash == std::string_view::npos ? "" : std::string(path.substr(0, slash)),
                  std::string(path.substr(slash == std::string_view::npos ? 0 : slash + 1))};
  if (is_temp_name(split.name)) return bad("a gpunb temp file");
  return split;
}

Result<RootDir> RootDir::open(const std::string& root, bool create) {
  std::filesystem::path path = expand_home(root);
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec)
      return fail(ErrorKind::internal, "cannot create " + path.string() + ": " + ec.message());
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) return RootDir(fd);
  if (errno == ENOENT) return fail(ErrorKind::not_found, path.string() + " does not exist");
  return fail(ErrorKind::internal, "cannot open " + path.string() + ": " + errno_text());
}

RootDir::RootDir(RootDir&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), dirs_(std::move(other.dirs_)) {
  other.dirs_.clear();
}

RootDir& RootDir::operator=(RootDir&& other) noexcept {
  if (this != &other) {
    close_dirs();
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    dirs_ = std::move(other.dirs_);
    other.dirs_.clear();
  }
  return *this;
}

RootDir::~RootDir() {
  close_dirs();
  if (fd_ >= 0) ::close(fd_);
}

Result<int> RootDir::dir(const std::string& dir, bool create) {
  if (dir.empty()) return fd_;
  if (auto known = dirs_.find(dir); known != dirs_.end()) return known->second;
  size_t slash = dir.rfind('/');
  auto parent =
      slash == std::string::npos ? Result<int>(fd_) : this->dir(dir.substr(0, slash), create);
  if (!parent) return parent;
  std::string name = slash == std::string::npos ? dir : dir.substr(slash + 1);
  auto fd = open_child(*parent, name, dir, create);
  if (fd) dirs_.emplace(dir, *fd);
  return fd;
}

Status RootDir::sync_dirs() const {
  for (const auto& [name, fd] : dirs_) {
    if (::fsync(fd) != 0)
      return fail(ErrorKind::internal, "cannot sync " + name + ": " + errno_text());
  }
  if (::fsync(fd_) != 0) return fail(ErrorKind::internal, "cannot sync the root: " + errno_text());
  return {};
}

void RootDir::close_dirs() {
  for (const auto& [name, fd] : dirs_) ::close(fd);
  dirs_.clear();
}

std::string temp_name(const std::string& name) {
  return "." + name.substr(0, 160) + std::string(kTempMark) + std::to_string(::getpid()) + "-" +
         base::random_hex(4);
}

bool is_temp_name(std::string_view name) {
  return name.size() > 1 && name.front() == '.' && name.find(kTempMark) != std::string_view::npos;
}

bool is_stale_temp(std::string_view name) {
  if (!is_temp_name(name)) return false;
  std::string_view rest = name.substr(name.rfind(kTempMark) + kTempMark.size());
  int pid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  if (ec != std::errc() || pid <= 0 || end == rest.data() + rest.size() || *end != '-') return true;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace gpunb::agent
