#include "data/archive/extract_dirs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/expected.hpp"
#include "data/archive/extract_paths.hpp"

namespace gpunb::data {
namespace {

constexpr size_t kMaxOpenDirs = 256;
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

}  // namespace

Result<TreeDirs> TreeDirs::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorKind::internal, "cannot create " + dir.string() + ": " + ec.message());
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return fail(ErrorKind::internal, "cannot open " + dir.string() + ": " + std::strerror(errno));
  }
  return TreeDirs(std::move(fd));
}

Result<int> TreeDirs::dir(const std::string& rel, mode_t mode) {
  if (rel.empty()) return root_.get();
  if (auto known = open_.find(rel); known != open_.end()) return known->second.get();
  if (open_.size() >= kMaxOpenDirs) open_.clear();
  // The deepest folder above REL that is open already, then one component at a time.
  size_t start = 0;
  int parent = root_.get();
  for (size_t slash = rel.rfind('/'); slash != std::string::npos && slash > 0;
       slash = rel.rfind('/', slash - 1)) {
    if (auto known = open_.find(rel.substr(0, slash)); known != open_.end()) {
      parent = known->second.get();
      start = slash + 1;
      break;
    }
  }
  return open_child(parent, rel, start, mode);
}

Result<Fd> TreeDirs::open_copy(const std::string& rel) {
  auto fd = dir(rel);
  TRY(fd);
  Fd copy(::fcntl(*fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) return fail(ErrorKind::internal, std::string("cannot dup: ") + std::strerror(errno));
  return copy;
}

Result<int> TreeDirs::open_child(int parent, const std::string& rel, size_t start, mode_t mode) {
  for (;;) {
    size_t end = std::min(rel.find('/', start), rel.size());
    std::string name = rel.substr(start, end - start);
    int fd = ::openat(parent, name.c_str(), kDirFlags);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(parent, name.c_str(), mode) != 0 && errno != EEXIST) {
        return fail(ErrorKind::internal, "cannot create folder " + shown(rel.substr(0, end)) +
                                             ": " + std::strerror(errno));
      }
      fd = ::openat(parent, name.c_str(), kDirFlags);
    }
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
      return fail(ErrorKind::refused,
                  shown(rel.substr(0, end)) + " is a symlink or a file, not a folder");
    }
    if (fd < 0) {
      return fail(ErrorKind::internal,
                  "cannot open folder " + shown(rel.substr(0, end)) + ": " + std::strerror(errno));
    }
    parent = open_.insert_or_assign(rel.substr(0, end), Fd(fd)).first->second.get();
    if (end == rel.size()) return parent;
    start = end + 1;
  }
}

}  // namespace gpunb::data
