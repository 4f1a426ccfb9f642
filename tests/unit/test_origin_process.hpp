// A test server child (tests/tools/*.py, *.sh) that prints "READY <port>" once it listens; killed
// (its process group, by PID) when the object goes.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace gpunb::testing {

class OriginProcess {
 public:
  // ARGV[0] is the program's path. port() is 0 when it did not print READY.
  explicit OriginProcess(const std::vector<std::string>& argv) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) exec_child(argv, out);
    ::close(out[1]);
    read_ready(out[0]);
    ::close(out[0]);
  }
  OriginProcess(const OriginProcess&) = delete;
  OriginProcess& operator=(const OriginProcess&) = delete;
  ~OriginProcess() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }

 private:
  [[noreturn]] static void exec_child(const std::vector<std::string>& argv, const int out[2]) {
    ::setpgid(0, 0);
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }

  void read_ready(int fd) {
    std::string line;
    char c = 0;
    while (::read(fd, &c, 1) == 1) {
      if (c != '\n') {
        line += c;
        continue;
      }
      if (line.rfind("READY ", 0) == 0) {
        port_ = std::stoi(line.substr(6));
        return;
      }
      line.clear();
    }
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace gpunb::testing
