#include "data/archive/extract_entries.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/expected.hpp"
#include "base/files.hpp"

namespace gpunb::data {
namespace {

constexpr std::uint64_t kRatioFloor = 64ull << 20;  // the ratio is checked past this many bytes
// The permission bits an archive may give: no set-id or sticky bits, no write for group or others.
constexpr mode_t kModeMask = 0755;

Error system_failure(const std::string& what) {
  return {ErrorKind::internal, what + ": " + std::strerror(errno)};
}

void entry_times(archive_entry* entry, timespec (&times)[2]) {
  times[0] = times[1] = timespec{0, UTIME_OMIT};
  if (archive_entry_atime_is_set(entry)) {
    times[0] = {archive_entry_atime(entry), archive_entry_atime_nsec(entry)};
  }
  if (archive_entry_mtime_is_set(entry)) {
    times[1] = {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
  }
}

bool has_times(const timespec (&times)[2]) {
  return times[0].tv_nsec != UTIME_OMIT || times[1].tv_nsec != UTIME_OMIT;
}

const char* type_name(mode_t type) {
  switch (type) {
    case AE_IFCHR:
      return "character device";
    case AE_IFBLK:
      return "block device";
    case AE_IFIFO:
      return "FIFO";
    case AE_IFSOCK:
      return "socket";
    default:
      return "unknown type of";
  }
}

// A temp name beside the final one, removed unless it was renamed into place.
class Pending {
 public:
  Pending(int dir, std::string name) : dir_(dir), name_(std::move(name)) {}
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;
  ~Pending() {
    if (!name_.empty()) ::unlinkat(dir_, name_.c_str(), 0);
  }
  const char* c_str() const { return name_.c_str(); }
  Status rename_to(const std::string& name) {
    if (::renameat(dir_, name_.c_str(), dir_, name.c_str()) != 0) {
      return tl::unexpected(system_failure("cannot rename into place"));
    }
    name_.clear();
    return {};
  }

 private:
  int dir_;
  std::string name_;
};

}  // namespace

Status EntryWriter::write(archive_entry* entry) {
  // NULL when libarchive could not convert the name (a zip flags it UTF-8 but it is not).
  const char* raw = archive_entry_pathname(entry);
  if (!raw) raw = archive_entry_pathname_utf8(entry);
  std::string name = raw ? raw : "";
  Status done = [&]() -> Status {
    if (++totals_.entries > limits_.max_entries) {
      return fail(ErrorKind::refused, "the archive has more than " +
                                          std::to_string(limits_.max_entries) +
                                          " entries (the entry limit); raise it with "
                                          "--max-extract-entries");
    }
    if (!raw) return fail(ErrorKind::refused, "its name is flagged UTF-8 but is not valid UTF-8");
    auto path = check_entry_path(name);
    TRY(path);
    return write_entry(entry, *path);
  }();
  if (!done && !base::is_transient(done.error().kind)) {  // the stream's own failure stays as it is
    auto& error = done.error();
    std::string named = raw ? shown(name) : "number " + std::to_string(totals_.entries);
    error.message =
        (error.kind == ErrorKind::refused ? "refused archive entry " : "archive entry ") + named +
        ": " + error.message;
  }
  return done;
}

Status EntryWriter::write_entry(archive_entry* entry, const EntryPath& path) {
  if (const char* target = archive_entry_hardlink(entry)) return write_hardlink(target, path);
  mode_t type = archive_entry_filetype(entry);
  if (path.name.empty()) {  // "./": DIR itself
    if (type == AE_IFDIR) return {};
    return fail(ErrorKind::refused, "not a folder, but named as the folder itself");
  }
  switch (type) {
    case AE_IFREG:
      return write_file(entry, path);
    case AE_IFDIR:
      return write_folder(entry, path);
    case AE_IFLNK:
      return write_symlink(entry, path);
    default:
      return fail(ErrorKind::refused, std::string(type_name(type)) + " entries are not extracted");
  }
}

Status EntryWriter::write_file(archive_entry* entry, const EntryPath& path) {
  std::int64_t declared = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
  if (declared > 0 && totals_.bytes + static_cast<std::uint64_t>(declared) > limits_.max_bytes) {
    return count_bytes(static_cast<size_t>(declared));  // refused before a byte is written
  }
  auto dir = dirs_.dir(path.dir);
  TRY(dir);
  std::string temp;
  Fd fd;
  while (!fd) {
    temp = temp_name(path.name);
    fd = Fd(
        ::openat(*dir, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd && errno != EEXIST) return tl::unexpected(system_failure("cannot create"));
  }
  Pending pending(*dir, temp);
  if (auto done = write_data(fd.get(), declared); !done) return done;
  timespec times[2];
  entry_times(entry, times);
  if (::fchmod(fd.get(), archive_entry_perm(entry) & kModeMask) != 0 ||
      (has_times(times) && ::futimens(fd.get(), times) != 0)) {
    return tl::unexpected(system_failure("cannot set the mode or time"));
  }
  if (auto done = pending.rename_to(path.name); !done) return done;
  files_.insert(path.full);
  return {};
}

Status EntryWriter::write_data(int fd, std::int64_t declared) {
  std::int64_t end = 0;
  for (;;) {
    auto block = reader_.data();
    TRY(block);
    if (block->end) break;
    if (auto counted = count_bytes(block->size); !counted) return counted;
    if (!base::pwrite_all(fd, static_cast<const char*>(block->bytes), block->size,
                          static_cast<std::uint64_t>(block->offset))) {
      return tl::unexpected(system_failure("cannot write"));
    }
    end = std::max(end, block->offset + static_cast<std::int64_t>(block->size));
  }
  if (declared > end && ::ftruncate(fd, declared) != 0) {  // a sparse file's last hole
    return tl::unexpected(system_failure("cannot set the size"));
  }
  return {};
}

Status EntryWriter::count_bytes(size_t size) {
  totals_.bytes += size;
  if (totals_.bytes > limits_.max_bytes) {
    return fail(ErrorKind::refused, "the archive unpacks to more than " +
                                        std::to_string(limits_.max_bytes) +
                                        " bytes (the size limit); raise it with "
                                        "--max-extract-size");
  }
  std::uint64_t packed = reader_.packed_bytes();
  if (totals_.bytes >= kRatioFloor &&
      static_cast<double>(totals_.bytes) > limits_.max_ratio * static_cast<double>(packed)) {
    return fail(ErrorKind::refused, std::to_string(packed) + " packed bytes unpack to more than " +
                                        std::to_string(totals_.bytes) +
                                        ", over the ratio limit of " +
                                        std::to_string(limits_.max_ratio) +
                                        " (a zip bomb?); raise it with --max-extract-ratio");
  }
  return {};
}

Status EntryWriter::write_folder(archive_entry* entry, const EntryPath& path) {
  auto dir = dirs_.dir(path.full);
  TRY(dir);
  FolderFix fix{path.full, static_cast<mode_t>((archive_entry_perm(entry) & kModeMask) | 0700), {}};
  entry_times(entry, fix.times);
  folders_.push_back(std::move(fix));
  files_.erase(path.full);
  return {};
}

Status EntryWriter::write_symlink(archive_entry* entry, const EntryPath& path) {
  const char* target = archive_entry_symlink(entry);
  if (!target) target = archive_entry_symlink_utf8(entry);
  if (!target) return fail(ErrorKind::refused, "a symlink without a target");
  if (auto safe = check_symlink_target(path, target); !safe) return safe;
  auto dir = dirs_.dir(path.dir);
  TRY(dir);
  std::string temp = temp_name(path.name);
  while (::symlinkat(target, *dir, temp.c_str()) != 0) {
    if (errno != EEXIST) return tl::unexpected(system_failure("cannot create the symlink"));
    temp = temp_name(path.name);
  }
  Pending pending(*dir, temp);
  timespec times[2];
  entry_times(entry, times);
  if (has_times(times)) ::utimensat(*dir, temp.c_str(), times, AT_SYMLINK_NOFOLLOW);
  if (auto done = pending.rename_to(path.name); !done) return done;
  files_.erase(path.full);
  return {};
}

Status EntryWriter::write_hardlink(const char* target, const EntryPath& path) {
  auto to = check_entry_path(target);
  auto refuse = [&](const std::string& why) {
    return fail(ErrorKind::refused, "hard link to " + shown(target) + ": " + why);
  };
  if (!to) return refuse(to.error().message);
  if (!files_.count(to->full)) return refuse("not a file extracted before it");
  if (to->full == path.full) return {};
  auto from = dirs_.open_copy(to->dir);
  TRY(from);
  auto dir = dirs_.dir(path.dir);
  TRY(dir);
  std::string temp = temp_name(path.name);
  while (::linkat(from->get(), to->name.c_str(), *dir, temp.c_str(), 0) != 0) {
    if (errno != EEXIST) return tl::unexpected(system_failure("cannot create the hard link"));
    temp = temp_name(path.name);
  }
  Pending pending(*dir, temp);
  if (auto done = pending.rename_to(path.name); !done) return done;
  ::unlinkat(*dir, temp.c_str(), 0);  // left by rename when both were links to one file already
  files_.insert(path.full);
  return {};
}

Status EntryWriter::finish() {
  for (auto fix = folders_.rbegin(); fix != folders_.rend(); ++fix) {
    auto dir = dirs_.dir(fix->path);
    TRY(dir);
    if (::fchmod(*dir, fix->mode) != 0 || (has_times(fix->times) && ::futimens(*dir, fix->times))) {
      return tl::unexpected(system_failure("cannot set the mode or time of " + shown(fix->path)));
    }
  }
  return {};
}

std::string EntryWriter::temp_name(const std::string& name) {
  if (pid_.empty()) pid_ = std::to_string(::getpid());
  char counter[20];
  std::snprintf(counter, sizeof counter, "%llx", static_cast<unsigned long long>(++temp_counter_));
  return "." + name.substr(0, 160) + ".gpunb-tmp-" + pid_ + "-" + counter;
}

}  // namespace gpunb::data
