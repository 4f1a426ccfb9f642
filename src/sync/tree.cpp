#include "sync/tree.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/expected.hpp"
#include "base/fd.hpp"
#include "base/hash.hpp"
#include "util/platform.hpp"

namespace gpunb::sync {

namespace {

namespace fs = std::filesystem;

core::Error io_error(const fs::path& path, const std::string& what, int error) {
  return core::Error{core::ErrorKind::internal,
                     fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(error)),
                     {}};
}

Entry entry_of(std::string relative, const struct stat& info) {
  Entry entry;
  entry.path = std::move(relative);
  entry.size = static_cast<std::uint64_t>(info.st_size);
  entry.mtime_ns = util::platform::mtime_ns(info);
  entry.mode = info.st_mode & 07777;
  entry.is_symlink = S_ISLNK(info.st_mode);
  return entry;
}

class Scanner {
 public:
  Scanner(const fs::path& root, const Ignore& ignore) : root_(root), ignore_(ignore) {}
  core::Status walk(const std::string& relative);
  std::vector<Entry> take() { return std::move(entries_); }

 private:
  core::Status visit(const std::string& relative);

  const fs::path& root_;
  const Ignore& ignore_;
  std::vector<Entry> entries_;
};

core::Status Scanner::walk(const std::string& relative) {
  auto dir = relative.empty() ? root_ : root_ / relative;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) return tl::unexpected(io_error(dir, "read folder", error.value()));
  for (; it != fs::directory_iterator(); it.increment(error)) {
    auto child = relative.empty() ? std::string() : relative + '/';
    child += it->path().filename().string();
    auto status = visit(child);
    if (!status) return status;
  }
  if (error) return tl::unexpected(io_error(dir, "read folder", error.value()));
  return {};
}

core::Status Scanner::visit(const std::string& relative) {
  auto path = root_ / relative;
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return tl::unexpected(io_error(path, "stat", errno));
  if (S_ISDIR(info.st_mode)) {
    if (ignore_.matches(relative, true)) return {};
    return walk(relative);
  }
  if (!S_ISREG(info.st_mode) && !S_ISLNK(info.st_mode)) return {};
  if (ignore_.matches(relative, false)) return {};
  entries_.push_back(entry_of(relative, info));
  return {};
}

core::Result<std::string> digest_fd(int fd, const fs::path& path) {
  base::Hash hash;
  std::array<char, 1 << 16> buffer{};
  while (true) {
    auto got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return tl::unexpected(io_error(path, "read", errno));
    if (got == 0) break;
    hash.update(buffer.data(), static_cast<size_t>(got));
  }
  return hash.hex_digest();
}

}  // namespace

core::Result<std::vector<Entry>> scan_local(const fs::path& root, const Ignore& ignore) {
  struct stat info {};
  if (::stat(root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return core::fail(core::ErrorKind::usage,
                      fmt::format("workspace folder not found: {}", root.string()));
  }
  Scanner scanner(root, ignore);
  TRY(scanner.walk(""));
  auto entries = scanner.take();
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });
  return entries;
}

core::Result<std::string> hash_file(const fs::path& path) {
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!file) return tl::unexpected(io_error(path, "open", errno));
  return digest_fd(file.get(), path);
}

core::Status hash_entries(const fs::path& root, std::vector<Entry>& entries,
                          const std::vector<std::string>& paths) {
  for (auto& entry : entries) {
    if (entry.is_symlink || !std::binary_search(paths.begin(), paths.end(), entry.path)) continue;
    auto digest = hash_file(root / entry.path);
    TRY(digest);
    entry.sha256 = std::move(*digest);
  }
  return {};
}

void drop_ignored(std::vector<Entry>& entries, const Ignore& ignore) {
  std::erase_if(entries, [&](const Entry& entry) { return ignore.excludes(entry.path, false); });
}

}  // namespace gpunb::sync
