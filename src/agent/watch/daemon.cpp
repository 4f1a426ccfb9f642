// The watcher as a process: the lock, detaching, the signals that end it, starting it.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "agent/host/files.hpp"
#include "agent/host/process.hpp"
#include "agent/watch/loop.hpp"
#include "agent/watch/watch.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"

namespace gpunb::agent {
namespace {

class Lock {
 public:
  explicit Lock(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {}
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  ~Lock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool take() { return fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0; }
  void write_pid() {
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
  }

 private:
  int fd_;
};

// Returns false in the parent (which then exits); the grandchild goes on, detached.
bool detach(const std::filesystem::path& log) {
  pid_t child = ::fork();
  if (child > 0) {
    int status = 0;
    ::waitpid(child, &status, 0);
    return false;
  }
  if (child < 0) return true;  // cannot fork: run here
  ::setsid();
  if (::fork() != 0) ::_exit(0);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log_fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  ::dup2(null_fd, 0);
  ::dup2(log_fd >= 0 ? log_fd : null_fd, 1);
  ::dup2(log_fd >= 0 ? log_fd : null_fd, 2);
  return true;
}

}  // namespace

int watch_command(const std::string& option) {
  if (option != "--sample") return watch_main(option == "--foreground");
  auto context = make_context();
  auto files = watch_files(context.state);
  HostSensors sensors(context.state);
  HostPower power(files.self);
  sigset_t none;
  sigemptyset(&none);
  SignalClock clock(none);  // one sample: never waits
  WatchLoop loop(context, files, sensors, power, clock);
  std::printf("%s\n", loop.sample_once().dump().c_str());
  return 0;
}

int watch_main(bool foreground) {
  auto context = make_context();
  if (!foreground && !detach(context.state / "agent.log")) return 0;
  if (::chdir(context.home.c_str()) != 0) (void)!::chdir("/");
  auto files = watch_files(context.state);
  Lock lock(files.lock);
  if (!lock.take()) return 0;  // one watcher per user
  lock.write_pid();
  sigset_t ending;
  sigemptyset(&ending);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&ending, sig);
  ::sigprocmask(SIG_BLOCK, &ending, nullptr);  // waited for between samples (no handler)
  ::signal(SIGPIPE, SIG_IGN);
  HostSensors sensors(context.state);
  HostPower power(files.self);
  SignalClock clock(ending);
  WatchLoop loop(context, files, sensors, power, clock);
  return loop.run();
}

std::optional<long> running_watcher(const WatchFiles& files) {
  Lock lock(files.lock);
  if (lock.take()) return std::nullopt;
  auto text = base::read_file(files.lock);
  try {
    return text ? std::optional(std::stol(*text)) : std::nullopt;
  } catch (const std::exception&) {
    return 0L;
  }
}

Result<long> ensure_watcher(const WatchFiles& files, const std::filesystem::path& agent_bin) {
  auto running = running_watcher(files);
  auto state = read_state(files);
  bool outdated =
      running && state && state->pid == *running && state->version != self_exe().string();
  if (running && !outdated) return *running;
  if (outdated) ::kill(static_cast<pid_t>(*running), SIGTERM);
  for (int i = 0; i < 50 && outdated && running_watcher(files); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  TRY(spawn_detached({{agent_bin.string(), "watch"}}));
  for (int i = 0; i < 50; ++i) {
    if (auto pid = running_watcher(files)) return *pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return fail(ErrorKind::internal, "the watcher did not start (see ~/.gpunb/agent.log)");
}

}  // namespace gpunb::agent

namespace gpunb::agent {

std::filesystem::path self_exe() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : path;
}

}  // namespace gpunb::agent
