#include "agent/host/process.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "agent/host/files.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {
namespace {

// argv and envp as the C arrays execve wants, built before fork (no allocation after it).
struct ExecImage {
  std::string path;
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;

  void seal() {
    for (auto& a : args) argv.push_back(a.data());
    for (auto& e : env) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
  }
};

std::vector<std::string> child_env(const Command& command) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    bool drop = command.set_env.contains(key);
    for (const auto& u : command.unset_env) drop = drop || u == key;
    if (!drop) out.push_back(entry);
  }
  for (const auto& [key, value] : command.set_env) out.push_back(key + "=" + value);
  return out;
}

Result<ExecImage> exec_image(const Command& command) {
  if (command.argv.empty()) return fail(ErrorKind::internal, "empty command");
  auto path = find_program(command.argv[0]);
  if (!path) return fail(ErrorKind::not_found, command.argv[0] + " not found on PATH");
  ExecImage image{*path, command.argv, child_env(command), {}, {}};
  image.seal();
  return image;
}

[[noreturn]] void exec_child(ExecImage& image, int out_fd) {
  ::setpgid(0, 0);
  int null_fd = ::open("/dev/null", O_RDWR);
  ::dup2(null_fd, 0);
  ::dup2(out_fd < 0 ? null_fd : out_fd, 1);
  ::dup2(out_fd < 0 ? null_fd : out_fd, 2);
  ::close_range(3, ~0U, 0);
  ::signal(SIGPIPE, SIG_DFL);
  ::execve(image.path.c_str(), image.argv.data(), image.envp.data());
  ::_exit(127);
}

// Waits for PID until the deadline; kills its process group when the deadline passes.
int wait_child(pid_t pid, std::chrono::milliseconds timeout, bool& timed_out) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) && !timed_out ? WEXITSTATUS(status) : -1;
}

std::string read_memfd(int fd) {
  std::string out;
  std::array<char, 4096> buffer{};
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) > 0;) {
    out.append(buffer.data(), static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

Result<Completed> run_command(const Command& command) {
  auto image = exec_image(command);
  TRY(image);
  int out_fd = ::memfd_create("gpunb-agent-output", MFD_CLOEXEC);
  if (out_fd < 0)
    return fail(ErrorKind::internal, std::string("memfd_create: ") + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid == 0) exec_child(*image, out_fd);
  if (pid < 0) {
    ::close(out_fd);
    return fail(ErrorKind::internal, std::string("fork: ") + std::strerror(errno));
  }
  Completed done;
  done.exit_code = wait_child(pid, command.timeout, done.timed_out);
  done.output = read_memfd(out_fd);
  ::close(out_fd);
  return done;
}

Status spawn_detached(const Command& command) {
  auto image = exec_image(command);
  TRY(image);
  pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorKind::internal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    exec_child(*image, -1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {};
}

bool process_alive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  auto stat = base::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  size_t paren = stat->rfind(')');
  return paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] != 'Z';
}

std::optional<std::string> find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  return find_program(name, path != nullptr ? path : "/usr/bin:/bin");
}

std::optional<std::string> find_program(const std::string& name, const std::string& search_path) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    return executable(name) ? std::optional(name) : std::nullopt;
  }
  for (const auto& dir : base::split(search_path, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

}  // namespace gpunb::agent
