#include "agent/fetch/download_place.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/hash.hpp"
#include "data/net/socket.hpp"

namespace gpunb::data {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxNumber = 9999;

// 0: moved; EEXIST: TO is there (nothing moved); another errno: a failure.
int rename_noreplace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  if (::link(from.c_str(), to.c_str()) != 0) return errno;  // a file system without the flag
  ::unlink(from.c_str());
  return 0;
}

// Whether PATH is a regular file of SIZE bytes whose SHA-256 is SHA256.
bool same_file(const fs::path& path, std::uint64_t size, const std::string& sha256) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(path, ec)) || fs::file_size(path, ec) != size || ec)
    return false;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return false;
  base::Hash digest;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    digest.update(buffer.data(), static_cast<size_t>(n));
  }
  return digest.hex_digest() == sha256;
}

}  // namespace

std::string numbered_name(const std::string& name, int n) {
  std::string suffix = " (" + std::to_string(n) + ")";
  size_t dot = std::string::npos;
  for (const char* double_ext : {".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"}) {
    if (name.size() > std::strlen(double_ext) && name.ends_with(double_ext))
      dot = name.size() - std::strlen(double_ext);
  }
  if (dot == std::string::npos) dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return name + suffix;
  return name.substr(0, dot) + suffix + name.substr(dot);
}

Result<Placed> place_without_replacing(const fs::path& part, const fs::path& final,
                                       std::uint64_t size, const std::string& sha256) {
  std::string name = final.filename().string();
  for (int n = 0; n <= kMaxNumber; ++n) {
    auto candidate = n == 0 ? final : final.parent_path() / numbered_name(name, n);
    int error = rename_noreplace(part, candidate);
    if (error == 0 && n == 0) return Placed{final, ""};
    if (error == 0) {
      return Placed{candidate, name + " was there already: this download is " +
                                   candidate.filename().string() + " (nothing replaced)"};
    }
    if (error != EEXIST)
      return fail(ErrorKind::internal,
                  "cannot rename to " + candidate.string() + ": " + std::strerror(error));
    if (same_file(candidate, size, sha256)) {  // a rerun: the bytes are there already
      std::error_code ec;
      fs::remove(part, ec);
      return Placed{candidate, candidate.filename().string() +
                                   " was there already with the same bytes: kept as it is"};
    }
  }
  return fail(ErrorKind::refused,
              "no free name for " + final.string() + ": too many numbered copies");
}

}  // namespace gpunb::data
