// The platform seam: the Linux calls and their POSIX fallbacks (compiled here too) give the same
// descriptors, the same mtime and the same answer about a process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <functional>
#include <string>

#include "util/platform.hpp"

namespace gpunb::util::platform {
namespace {

bool close_on_exec(int fd) {
  return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

bool non_blocking(int fd) {
  return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

// Binds FD to a free loopback port and listens; returns the port, or -1.
int listen_loopback(int fd) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 4) != 0)
    return -1;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

void expect_accepts(const std::function<int(int)>& make, const std::function<int(int)>& accept) {
  int listener = make(AF_INET);
  ASSERT_GE(listener, 0);
  EXPECT_TRUE(close_on_exec(listener) && non_blocking(listener));
  int port = listen_loopback(listener);
  ASSERT_GT(port, 0);
  errno = 0;
  EXPECT_EQ(accept(listener), -1);  // nobody is waiting, and it must not block
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  pollfd entry{listener, POLLIN, 0};
  ASSERT_EQ(::poll(&entry, 1, 5000), 1);
  int accepted = accept(listener);
  ASSERT_GE(accepted, 0);
  EXPECT_TRUE(close_on_exec(accepted) && non_blocking(accepted));
  for (int fd : {accepted, client, listener}) ::close(fd);
}

void expect_pipe(const std::function<bool(std::array<int, 2>&)>& make) {
  std::array<int, 2> fds{};
  ASSERT_TRUE(make(fds));
  EXPECT_TRUE(close_on_exec(fds[0]) && close_on_exec(fds[1]));
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  char byte = 0;
  EXPECT_EQ(::read(fds[0], &byte, 1), 1);
  EXPECT_EQ(byte, 'x');
  ::close(fds[0]);
  ::close(fds[1]);
}

// A child that has exited but is not reaped yet: a zombie, which is no tunnel.
pid_t exited_child() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT);  // waits, leaves it
  return child;
}

TEST(UtilPlatform, SocketsAreNonBlockingAndCloseOnExec) {
  expect_accepts(stream_socket, accept_client);
  expect_accepts(posix::stream_socket, posix::accept_client);
}

TEST(UtilPlatform, SendToAClosedPeerFailsWithEpipeInsteadOfKillingUs) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  ::close(pair[1]);
  errno = 0;
  EXPECT_EQ(send_some(pair[0], "x", 1), -1);  // SIGPIPE would end the test binary here
  EXPECT_EQ(errno, EPIPE);
  ::close(pair[0]);
}

TEST(UtilPlatform, PipesAreCloseOnExec) {
  expect_pipe(pipe_cloexec);
  expect_pipe(posix::pipe_cloexec);
}

TEST(UtilPlatform, SyncsTheFileSystemWhereItCan) {
  int fd = ::open(::testing::TempDir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sync_filesystem(fd), kSyncsFileSystem);
  ::close(fd);
}

TEST(UtilPlatform, ExecutablePathIsThisTestBinary) {
  auto self = executable_path();
  ASSERT_TRUE(self);
  EXPECT_EQ(self->filename(), "unit_tests");
  EXPECT_TRUE(self->is_absolute());
}

TEST(UtilPlatform, MtimeKeepsNanoseconds) {
  std::string path = ::testing::TempDir() + "gpunb-platform-mtime";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  timespec times[2] = {{1'700'000'000, 123'456'789}, {1'700'000'000, 123'456'789}};
  ASSERT_EQ(::futimens(fd, times), 0);
  struct stat info {};
  ASSERT_EQ(::fstat(fd, &info), 0);
  ::close(fd);
  ::unlink(path.c_str());
  EXPECT_EQ(mtime_ns(info), 1'700'000'000'123'456'789);
}

TEST(UtilPlatform, ProcessRunningTellsOursFromOthersAndFromZombies) {
  EXPECT_TRUE(process_running(::getpid(), "unit_tests"));
  EXPECT_FALSE(process_running(::getpid(), "no-such-program"));
  EXPECT_TRUE(posix::process_running(::getpid()));
  EXPECT_FALSE(process_running(0, "unit_tests"));
  EXPECT_FALSE(posix::process_running(-1));
  pid_t zombie = exited_child();
  ASSERT_GT(zombie, 0);
  EXPECT_FALSE(process_running(zombie, "unit_tests"));
  ::waitpid(zombie, nullptr, 0);
  EXPECT_FALSE(process_running(zombie, "unit_tests"));
}

}  // namespace
}  // namespace gpunb::util::platform
