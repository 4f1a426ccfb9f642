#include "base/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/expected.hpp"
#include "base/hash.hpp"

namespace gpunb::base {
namespace {

tl::unexpected<Error> io_error(const std::string& what, const std::string& path, int error) {
  return fail(ErrorKind::internal, what + " " + path + ": " + std::strerror(error));
}

// A complete, synced temp file beside PATH, under a name nobody can guess, made afresh (O_EXCL)
// and never through a link (O_NOFOLLOW).
Result<std::string> write_temp(const std::filesystem::path& path, std::string_view content,
                               mode_t mode) {
  std::string temp = path.string() + ".tmp-" + random_hex(8);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot write", temp, errno);
  bool ok =
      ::fchmod(fd, mode) == 0 && write_all(fd, content.data(), content.size()) && ::fsync(fd) == 0;
  int error = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    ::unlink(temp.c_str());
    return io_error("cannot write", path.string(), error);
  }
  return temp;
}

}  // namespace

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Status write_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  auto temp = write_temp(path, content, mode);
  TRY(temp);
  if (::rename(temp->c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp->c_str());
    return io_error("cannot write", path.string(), error);
  }
  return {};
}

Result<bool> write_exclusive(const std::filesystem::path& path, std::string_view content,
                             mode_t mode) {
  auto temp = write_temp(path, content, mode);
  TRY(temp);
  int linked = ::link(temp->c_str(), path.c_str());
  int error = errno;
  ::unlink(temp->c_str());
  if (linked == 0) return true;
  if (error == EEXIST) return false;
  return io_error("cannot create", path.string(), error);
}

Status make_dirs(const std::filesystem::path& dir, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorKind::internal, "cannot create " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), mode) != 0) return io_error("cannot chmod", dir.string(), errno);
  return {};
}

Status write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return fail(ErrorKind::internal, std::string("write failed: ") + std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status pwrite_all(int fd, const char* data, size_t size, std::uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return fail(ErrorKind::internal, std::string("write failed: ") + std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

}  // namespace gpunb::base
