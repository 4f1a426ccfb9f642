// The platform seam of the laptop side: every call that Linux has and other POSIX systems lack
// (accept4, SOCK_CLOEXEC, MSG_NOSIGNAL, pipe2, syncfs, /proc, st_mtim) stands here, so the CLI
// can be built on macOS. Each has a Linux implementation and a POSIX one (in `posix`, compiled
// everywhere so the Linux unit tests run it too). scripts/check-portable.sh keeps such calls out
// of the rest of the CLI. The agent (src/agent, src/data) runs on Linux only and does not use this.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace gpunb::util::platform {

// A TCP socket of FAMILY, non-blocking and close-on-exec, whose sends never raise SIGPIPE.
// -1 with errno on failure.
int stream_socket(int family);
// Accepts one pending client of LISTENER with the same flags; -1 with errno (EAGAIN: none).
int accept_client(int listener);
// send() that returns EPIPE instead of raising SIGPIPE on a socket this file made.
ssize_t send_some(int fd, const void* data, std::size_t size);
// pipe() whose two ends are close-on-exec. False with errno on failure.
bool pipe_cloexec(std::array<int, 2>& fds);

// Whether sync_filesystem() can flush a whole file system in one call (Linux's syncfs). Where it
// cannot, callers fsync each file: sync() does not wait for the writes everywhere.
inline constexpr bool kSyncsFileSystem =
#if defined(__linux__)
    true;
#else
    false;
#endif
// Flushes the file system that holds FD and waits for it. False (ENOSYS) without kSyncsFileSystem.
bool sync_filesystem(int fd);

// The running executable, links resolved; nullopt when the OS will not tell.
std::optional<std::filesystem::path> executable_path();
// A file's modification time in nanoseconds since the epoch.
std::int64_t mtime_ns(const struct stat& info);
// True when PID runs, may be signalled by us, and, where the OS tells, is no zombie and has NAME
// in its command line or executable path (which tells a recycled PID from ours).
bool process_running(int pid, std::string_view name);

// The program that opens a URL or file in the user's browser, and whether it needs a display
// ($DISPLAY or $WAYLAND_DISPLAY) to do so.
struct UrlOpener {
  const char* program;
  bool needs_display;
};
UrlOpener url_opener();

// The POSIX.1-2008 versions, used where there is nothing better; always compiled.
namespace posix {
int stream_socket(int family);
int accept_client(int listener);
bool pipe_cloexec(std::array<int, 2>& fds);
bool process_running(int pid);  // kill(PID, 0): cannot tell a recycled PID
}  // namespace posix

}  // namespace gpunb::util::platform
