#include "util/platform.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "base/files.hpp"

#if defined(__APPLE__)
#include <libproc.h>
#include <mach-o/dyld.h>
#include <sys/proc.h>
#include <sys/proc_info.h>
#endif

namespace gpunb::util::platform {

namespace {

bool set_flags(int fd) {
  int status = ::fcntl(fd, F_GETFL);
  if (status < 0 || ::fcntl(fd, F_SETFL, status | O_NONBLOCK) != 0) return false;
  return ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

// Where send() has no MSG_NOSIGNAL (macOS), the socket itself is told not to raise SIGPIPE.
void no_sigpipe([[maybe_unused]] int fd) {
#if defined(SO_NOSIGPIPE)
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
}

// Keeps errno of the call that failed across the close().
int flagged_or_closed(int fd) {
  if (fd < 0 || set_flags(fd)) return fd;
  int error = errno;
  ::close(fd);
  errno = error;
  return -1;
}

#if defined(__linux__)
// /proc/PID/stat: "PID (COMM) STATE ...", and COMM may hold ')' itself.
bool is_zombie(int pid) {
  auto stat = base::read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat ? stat->rfind(')') : std::string::npos;
  return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] == 'Z';
}
#endif

}  // namespace

// The fallbacks leave a moment between socket() and fcntl() in which a fork of another thread
// may inherit the descriptor; the CLI execs children only from its main thread.
namespace posix {

int stream_socket(int family) {
  int fd = flagged_or_closed(::socket(family, SOCK_STREAM, 0));
  if (fd >= 0) no_sigpipe(fd);
  return fd;
}

int accept_client(int listener) {
  int fd = flagged_or_closed(::accept(listener, nullptr, nullptr));
  if (fd >= 0) no_sigpipe(fd);
  return fd;
}

bool pipe_cloexec(std::array<int, 2>& fds) {
  if (::pipe(fds.data()) != 0) return false;
  if (::fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0 && ::fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0)
    return true;
  int error = errno;
  ::close(fds[0]);
  ::close(fds[1]);
  errno = error;
  return false;
}

bool process_running(int pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

}  // namespace posix

#if defined(__linux__)

int stream_socket(int family) {
  return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int accept_client(int listener) {
  return ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

bool pipe_cloexec(std::array<int, 2>& fds) {
  return ::pipe2(fds.data(), O_CLOEXEC) == 0;
}

bool sync_filesystem(int fd) {
  return ::syncfs(fd) == 0;
}

std::optional<std::filesystem::path> executable_path() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  return self;
}

bool process_running(int pid, std::string_view name) {
  if (!posix::process_running(pid)) return false;
  auto cmdline = base::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return cmdline && cmdline->find(name) != std::string::npos && !is_zombie(pid);
}

#else

int stream_socket(int family) {
  return posix::stream_socket(family);
}

int accept_client(int listener) {
  return posix::accept_client(listener);
}

bool pipe_cloexec(std::array<int, 2>& fds) {
  return posix::pipe_cloexec(fds);
}

bool sync_filesystem(int) {
  errno = ENOSYS;
  return false;
}

#if defined(__APPLE__)
std::optional<std::filesystem::path> executable_path() {
  uint32_t size = 0;
  _NSGetExecutablePath(nullptr, &size);  // tells the size it needs
  std::string buffer(size, '\0');
  if (_NSGetExecutablePath(buffer.data(), &size) != 0) return std::nullopt;
  std::error_code ec;
  auto path = std::filesystem::canonical(buffer.c_str(), ec);
  if (ec) return std::nullopt;
  return path;
}

bool process_running(int pid, std::string_view name) {
  if (!posix::process_running(pid)) return false;
  char path[PROC_PIDPATHINFO_MAXSIZE];
  if (proc_pidpath(pid, path, sizeof path) <= 0) return false;
  proc_bsdinfo info{};
  bool zombie = proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, &info, sizeof info) == sizeof info &&
                info.pbi_status == SZOMB;
  return std::string_view(path).find(name) != std::string_view::npos && !zombie;
}
#else
std::optional<std::filesystem::path> executable_path() {
  return std::nullopt;  // callers ask for $GPUNB_AGENT instead
}

bool process_running(int pid, std::string_view) {
  return posix::process_running(pid);
}
#endif

#endif

ssize_t send_some(int fd, const void* data, std::size_t size) {
#if defined(MSG_NOSIGNAL)
  return ::send(fd, data, size, MSG_NOSIGNAL);
#else
  return ::send(fd, data, size, 0);  // the socket has SO_NOSIGPIPE (stream_socket, accept_client)
#endif
}

std::int64_t mtime_ns(const struct stat& info) {
#if defined(__APPLE__)
  const timespec& time = info.st_mtimespec;
#else
  const timespec& time = info.st_mtim;
#endif
  return std::int64_t{time.tv_sec} * 1'000'000'000 + time.tv_nsec;
}

UrlOpener url_opener() {
#if defined(__APPLE__)
  return {"open", false};
#else
  return {"xdg-open", true};
#endif
}

}  // namespace gpunb::util::platform
