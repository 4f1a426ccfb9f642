#include "util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "util/crypto.hpp"

namespace gpunb::util {

namespace {
[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void write_all(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    auto written = ::write(fd, content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) throw_errno("write " + path);
    content.remove_prefix(static_cast<size_t>(written));
  }
}
}  // namespace

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {
// A complete, synced temp file beside PATH; its name is returned.
std::string write_temp(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  auto temp = path.string() + ".tmp-" + random_hex(4);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("create " + temp);
  try {
    write_all(fd, content, temp);
    if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) throw_errno("sync " + temp);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  return temp;
}
}  // namespace

bool write_file_exclusive(const std::filesystem::path& path, std::string_view content,
                          mode_t mode) {
  auto temp = write_temp(path, content, mode);
  int linked = ::link(temp.c_str(), path.c_str());
  int error = errno;
  ::unlink(temp.c_str());
  if (linked == 0) return true;
  if (error == EEXIST) return false;
  errno = error;
  throw_errno("link to " + path.string());
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  auto temp = write_temp(path, content, mode);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    throw_errno("rename to " + path.string());
  }
}

void ensure_private_dir(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
}

bool readable_by_others(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return true;
  return (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

}  // namespace gpunb::util
