#include "agent/fs/receive_batch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace gpunb::agent {
namespace {

constexpr size_t kFsyncEachUpTo = 8;  // files of a batch flushed one by one; more: syncfs()

std::string errno_text() {
  return std::strerror(errno);
}

// The batch's temp files onto the disk: one syncfs() (ext4 then commits its journal once for
// all), or for a few files an fsync() each, which does not wait for the rest of the machine's
// dirty data as syncfs() does.
Status flush_batch(const Batch& batch) {
  if (batch.files.size() > kFsyncEachUpTo) {
    if (::syncfs(batch.dirs.fd()) == 0) return {};
    return fail(ErrorKind::internal, "syncfs failed: " + errno_text());
  }
  for (const Pending& file : batch.files) {
    int fd = ::openat(file.dir_fd, file.temp.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    bool ok = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) return fail(ErrorKind::internal, "cannot flush " + file.path + ": " + errno_text());
  }
  return {};
}

// The folders' new entries onto the disk: an fsync() each, or for more than a few one syncfs()
// (ext4 without a journal writes each folder on its own, a few milliseconds apiece).
Status flush_dirs(const RootDir& dirs) {
  if (dirs.open_dirs() < kFsyncEachUpTo) return dirs.sync_dirs();
  if (::syncfs(dirs.fd()) == 0) return {};
  return fail(ErrorKind::internal, "syncfs failed: " + errno_text());
}

}  // namespace

Committed commit_batch(Batch batch) {
  Status flushed = flush_batch(batch);
  Committed done{std::move(batch.dirs), {}, 0, 0, flushed};
  if (!done.status) {
    for (const Pending& file : batch.files) ::unlinkat(file.dir_fd, file.temp.c_str(), 0);
    done.dirs.close_dirs();
    return done;
  }
  for (const Pending& file : batch.files) {
    if (::renameat(file.dir_fd, file.temp.c_str(), file.dir_fd, file.name.c_str()) == 0) {
      done.replies.push_back({{"path", file.path}, {"sha256", file.sha256}});
      ++done.files;
      done.bytes += file.size;
      continue;
    }
    done.replies.push_back(
        {{"path", file.path}, {"error", "cannot rename into place: " + errno_text()}});
    ::unlinkat(file.dir_fd, file.temp.c_str(), 0);
  }
  done.status = flush_dirs(done.dirs);
  done.dirs.close_dirs();
  return done;
}

}  // namespace gpunb::agent
