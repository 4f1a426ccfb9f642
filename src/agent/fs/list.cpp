#include "agent/fs/list.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/fs/path.hpp"
#include "base/expected.hpp"

namespace gpunb::agent {
namespace {

class Walker {
 public:
  explicit Walker(Listing& listing) : listing_(listing) {}
  Status walk(int dir_fd, const std::string& prefix);  // takes DIR_FD

 private:
  Status entry(int dir_fd, const std::string& prefix, const char* name);
  Listing& listing_;
};

Status Walker::walk(int dir_fd, const std::string& prefix) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    ::close(dir_fd);
    return fail(ErrorKind::internal, "cannot read folder " + prefix + ": " + std::strerror(errno));
  }
  Status result;
  errno = 0;
  while (dirent* item = ::readdir(dir)) {
    if (std::strcmp(item->d_name, ".") == 0 || std::strcmp(item->d_name, "..") == 0) continue;
    if (result = entry(::dirfd(dir), prefix, item->d_name); !result) break;
    errno = 0;
  }
  if (result && errno != 0) {
    result =
        fail(ErrorKind::internal, "cannot read folder " + prefix + ": " + std::strerror(errno));
  }
  ::closedir(dir);
  return result;
}

Status Walker::entry(int dir_fd, const std::string& prefix, const char* name) {
  struct stat info {};
  std::string path = prefix + name;
  if (::fstatat(dir_fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};  // removed while we walked
    return fail(ErrorKind::internal, "cannot stat " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    if (skipped_dir_name(name)) return {};
    int child = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0)
      return fail(ErrorKind::refused, "cannot open folder " + path + ": " + std::strerror(errno));
    return walk(child, path + "/");
  }
  bool link = S_ISLNK(info.st_mode);
  if (!link && !S_ISREG(info.st_mode)) return {};
  if (is_temp_name(name)) {
    if (!link && is_stale_temp(name) && ::unlinkat(dir_fd, name, 0) == 0) {
      ++listing_.stale_temps_removed;
    }
    return {};
  }
  std::int64_t mtime = std::int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec;
  listing_.files.push_back(ListedFile{path, static_cast<std::uint64_t>(info.st_size), mtime,
                                      static_cast<std::uint32_t>(info.st_mode & 07777), link});
  return {};
}

}  // namespace

bool skipped_dir_name(const std::string& name) {
  return name == ".git" || name == "__pycache__" || name == ".ipynb_checkpoints";
}

Result<Listing> list_tree(const std::string& root) {
  Listing listing;
  auto dir = RootDir::open(root, false);
  if (!dir) {
    if (dir.error().kind == ErrorKind::not_found) return listing;
    return tl::unexpected(dir.error());
  }
  int fd = ::dup(dir->fd());
  if (fd < 0) return fail(ErrorKind::internal, std::string("dup: ") + std::strerror(errno));
  TRY(Walker(listing).walk(fd, ""));
  std::sort(listing.files.begin(), listing.files.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.path < b.path; });
  return listing;
}

}  // namespace gpunb::agent
