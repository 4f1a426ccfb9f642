// Test helpers: a gpunb-agent child on pipes (a remote::LineChannel, as an SSH channel would be),
// inside a throwaway HOME with its own tmux and screen socket folders. Teardown kills, by PID,
// everything started there.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "remote/line_channel.hpp"

namespace gpunb::testing {

namespace fs = std::filesystem;

// A temp folder holding home/, tmux/ (TMUX_TMPDIR) and screen/ (SCREENDIR).
class AgentSandbox {
 public:
  AgentSandbox() {
    char pattern[] = "/tmp/gpunb-agent-test-XXXXXX";
    root_ = ::mkdtemp(pattern);
    for (const char* sub : {"home", "tmux", "screen"}) {
      fs::create_directories(root_ / sub);
      fs::permissions(root_ / sub, fs::perms::owner_all);
    }
  }
  AgentSandbox(const AgentSandbox&) = delete;
  AgentSandbox& operator=(const AgentSandbox&) = delete;
  ~AgentSandbox() {
    kill_jupyters();
    shell("TMUX_TMPDIR=" + (root_ / "tmux").string() + " tmux kill-server 2>/dev/null");
    kill_screens();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  fs::path home() const { return root_ / "home"; }
  fs::path jupyter_dir() const { return home() / ".gpunb" / "jupyter"; }
  std::map<std::string, std::string> env() const {
    return {{"HOME", home().string()},
            {"TMUX_TMPDIR", (root_ / "tmux").string()},
            {"SCREENDIR", (root_ / "screen").string()}};
  }
  std::string tmux(const std::string& args) const {
    return "TMUX_TMPDIR=" + (root_ / "tmux").string() + " tmux " + args;
  }
  static int shell(const std::string& command) { return std::system(command.c_str()); }

 private:
  void kill_jupyters() const {
    std::error_code ec;
    if (!fs::exists(jupyter_dir(), ec)) return;
    for (const auto& entry : fs::directory_iterator(jupyter_dir(), ec)) {
      if (entry.path().extension() != ".pid") continue;
      std::ifstream in(entry.path());
      int pid = 0;
      if (in >> pid && pid > 1) ::kill(pid, SIGKILL);
    }
  }
  void kill_screens() const {  // screen names its sockets PID.NAME
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / "screen", ec)) {
      int pid = std::atoi(entry.path().filename().c_str());
      if (pid > 1) ::kill(pid, SIGKILL);
    }
  }
  fs::path root_;
};

// The built agent started with ARGS, its stdin and stdout on pipes; ENV is set and the
// variables in DROP unset in the child first.
struct SpawnedAgent {
  pid_t pid = -1;
  int to = -1;    // its stdin
  int from = -1;  // its stdout
};
inline SpawnedAgent spawn_agent(std::vector<std::string> args,
                                const std::map<std::string, std::string>& env = {},
                                const std::vector<const char*>& drop = {}) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) std::abort();
  args.insert(args.begin(), GPUNB_AGENT_EXE);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    for (const auto& [key, value] : env) ::setenv(key.c_str(), value.c_str(), 1);
    for (const char* name : drop) ::unsetenv(name);
    ::execv(GPUNB_AGENT_EXE, argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  return {pid, in[1], out[0]};
}

// `gpunb-agent serve` on pipes.
class AgentPipe : public remote::LineChannel {
 public:
  explicit AgentPipe(const std::map<std::string, std::string>& env) {
    auto agent = spawn_agent({"serve"}, env,
                             {"TMUX", "STY", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "JUPYTER_TOKEN"});
    pid_ = agent.pid;
    to_ = agent.to;
    from_ = agent.from;
  }
  AgentPipe(const AgentPipe&) = delete;
  AgentPipe& operator=(const AgentPipe&) = delete;
  ~AgentPipe() override {
    close_input();
    if (wait_exit(std::chrono::seconds(5)) == -2) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (from_ >= 0) ::close(from_);
  }

  core::Status write_line(std::string_view line) override {
    std::string data = std::string(line) + "\n";
    if (::write(to_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      return core::fail(core::ErrorKind::network, "write to agent failed");
    }
    return {};
  }

  core::Result<std::string> read_line(std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{from_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return core::fail(core::ErrorKind::network, "timed out reading from the agent");
      }
      char chunk[4096];
      ssize_t n = ::read(from_, chunk, sizeof chunk);
      if (n <= 0) return core::fail(core::ErrorKind::network, "agent closed its output");
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // One request, one parsed reply (raw protocol tests).
  nlohmann::json request(const nlohmann::json& request,
                         std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    if (!write_line(request.dump())) return nullptr;
    auto line = read_line(timeout);
    return line ? nlohmann::json::parse(*line) : nlohmann::json(nullptr);
  }

  void close_input() {
    if (to_ >= 0) ::close(to_);
    to_ = -1;
  }
  // The exit code, or -2 while it still runs after TIMEOUT.
  int wait_exit(std::chrono::milliseconds timeout) {
    if (exit_code_ != -3) return exit_code_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return -2;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  int exit_code_ = -3;
  std::string buffer_;
};

inline std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `ps -eo args` of every process on the machine.
inline std::string all_command_lines() {
  std::string out;
  FILE* ps = ::popen("ps -eo args", "r");
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, ps)) > 0;) out.append(buffer, n);
  ::pclose(ps);
  return out;
}

inline bool have_program(const char* name) {
  return std::system(("command -v " + std::string(name) + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace gpunb::testing
