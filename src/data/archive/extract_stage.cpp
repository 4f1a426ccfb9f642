#include "data/archive/extract_stage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>
#include <vector>

#include "base/expected.hpp"
#include "data/archive/extract_dirs.hpp"
#include "data/archive/extract_paths.hpp"

namespace gpunb::data {
namespace {

namespace fs = std::filesystem;
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

Error system_failure(const std::string& what) {
  return {ErrorKind::internal, what + ": " + std::strerror(errno)};
}

Status refuse(const std::string& path, const std::string& why) {
  return fail(ErrorKind::refused, "refused archive entry " + shown(path) + ": " + why);
}

// The names in folder DIR, "." and ".." left out.
Result<std::vector<std::string>> names_in(int dir) {
  int copy = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  DIR* stream = copy < 0 ? nullptr : ::fdopendir(copy);
  if (!stream) {
    if (copy >= 0) ::close(copy);
    return tl::unexpected(system_failure("cannot list the staged folder"));
  }
  ::rewinddir(stream);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(stream)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(stream);
  return names;
}

Status merge(int from, int to, const std::string& rel, bool move);

// Entry NAME of staged folder FROM against its place in TO (PATH below the target).
Status merge_entry(int from, int to, const std::string& name, const std::string& path, bool move) {
  struct stat staged {
  }, there{};
  if (::fstatat(from, name.c_str(), &staged, AT_SYMLINK_NOFOLLOW) != 0) {
    return tl::unexpected(system_failure("cannot read the staged " + shown(path)));
  }
  bool exists = ::fstatat(to, name.c_str(), &there, AT_SYMLINK_NOFOLLOW) == 0;
  if (!exists && errno != ENOENT) return tl::unexpected(system_failure("cannot read " + path));
  if (exists && S_ISDIR(staged.st_mode)) {
    if (!S_ISDIR(there.st_mode)) {
      return refuse(path + "/", shown(path) + " is a symlink or a file, not a folder");
    }
    Fd inner_from(::openat(from, name.c_str(), kDirFlags));
    Fd inner_to(::openat(to, name.c_str(), kDirFlags));
    if (!inner_from || !inner_to) return tl::unexpected(system_failure("cannot open " + path));
    if (auto done = merge(inner_from.get(), inner_to.get(), path, move); !done) return done;
    // The folder keeps its mode; its times are the archive's, as a folder moved in whole.
    timespec times[2] = {staged.st_atim, staged.st_mtim};
    if (move) ::futimens(inner_to.get(), times);
    return {};
  }
  if (exists && S_ISDIR(there.st_mode))
    return refuse(path, shown(path) + " is a folder, not a file");
  if (!move || ::renameat(from, name.c_str(), to, name.c_str()) == 0) return {};
  if (S_ISDIR(staged.st_mode) && (errno == ENOTEMPTY || errno == EEXIST)) {
    return merge_entry(from, to, name, path, move);  // another archive's commit just made it
  }
  return tl::unexpected(system_failure("cannot move " + shown(path) + " into place"));
}

// Staged folder FROM against its place TO in the target (REL below it): with MOVE, renames each
// entry into place, else only checks that every rename can happen.
Status merge(int from, int to, const std::string& rel, bool move) {
  auto names = names_in(from);
  TRY(names);
  for (const auto& name : *names) {
    std::string path = rel.empty() ? name : rel + "/" + name;
    if (auto done = merge_entry(from, to, name, path, move); !done) return done;
  }
  return {};
}

// A stage of a process that is gone: its PID follows PREFIX ("<pid>-<n>").
bool is_stale(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = name.substr(prefix.size());
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  if (ec != std::errc() || pid <= 0 || end == rest.data() + rest.size() || *end != '-') {
    return false;
  }
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

void remove_stale(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_stale(it->path().filename().string(), prefix)) fs::remove_all(it->path(), ec);
  }
}

}  // namespace

std::string stage_prefix(std::string_view archive_name) {
  return "." + std::string(archive_name.substr(0, 160)) + ".gpunb-unpack-";
}

Result<Stage> Stage::make(const fs::path& dir, std::string_view archive_name) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorKind::internal, "cannot create " + dir.string() + ": " + ec.message());
  std::string prefix = stage_prefix(archive_name);
  remove_stale(dir, prefix);
  for (;;) {
    fs::path stage = dir / (prefix + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    if (::mkdir(stage.c_str(), 0700) == 0) return Stage(dir, stage);
    if (errno != EEXIST) {
      return tl::unexpected(system_failure("cannot create the folder to unpack into"));
    }
  }
}

Stage::Stage(Stage&& other) noexcept
    : dir_(std::move(other.dir_)), stage_(std::exchange(other.stage_, {})) {}

Stage::~Stage() {
  std::error_code ec;
  if (!stage_.empty()) fs::remove_all(stage_, ec);
}

Status Stage::commit() {
  Fd from(::open(stage_.c_str(), kDirFlags));
  Fd to(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from || !to) return tl::unexpected(system_failure("cannot open " + dir_.string()));
  if (auto checked = merge(from.get(), to.get(), "", false); !checked) return checked;
  if (auto moved = merge(from.get(), to.get(), "", true); !moved) return moved;
  std::error_code ec;
  fs::remove_all(std::exchange(stage_, {}), ec);  // the folders merged entry by entry
  return {};
}

}  // namespace gpunb::data
