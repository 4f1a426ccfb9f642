// Child processes for the agent. Children never inherit the protocol's stdin/stdout: their stdin
// is /dev/null and their output goes to an anonymous memory file, read once they have exited
// (so a daemon that keeps a descriptor open, like a tmux server, cannot make us wait).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace gpunb::agent {

struct Completed {
  int exit_code = -1;  // -1: killed by a signal or by the timeout
  bool timed_out = false;
  std::string output;  // stdout and stderr together
};

struct Command {
  std::vector<std::string> argv;               // argv[0] is looked up on $PATH when it has no '/'
  std::map<std::string, std::string> set_env;  // added to (or replacing in) our environment
  std::vector<std::string> unset_env;
  std::chrono::milliseconds timeout{10000};
};

Result<Completed> run_command(const Command& command);

// Starts COMMAND detached: double fork, new session, stdio on /dev/null; does not wait for it.
Status spawn_detached(const Command& command);

// True while PID exists and is not a zombie.
bool process_alive(pid_t pid);

// Finds NAME on $PATH (or returns it when it holds a '/'); nullopt when not executable.
std::optional<std::string> find_program(const std::string& name);
// The same along SEARCH_PATH ("dir:dir:...") instead of $PATH.
std::optional<std::string> find_program(const std::string& name, const std::string& search_path);

}  // namespace gpunb::agent
