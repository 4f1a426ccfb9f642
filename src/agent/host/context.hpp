// What every op handler gets: where the agent keeps its files, its log, and what it has learnt.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "agent/host/probe.hpp"
#include "base/log.hpp"

namespace gpunb::agent {

struct Context {
  std::filesystem::path home;   // the login home
  std::filesystem::path state;  // ~/.gpunb
  std::unique_ptr<base::Logger> log;
  std::optional<Probe> probe;  // probed once per agent process, on first need
  bool stop = false;           // set by "shutdown": the serve loop ends after the reply

  std::filesystem::path jupyter_dir() const { return state / "jupyter"; }
};

// A context rooted at $HOME (or /etc/passwd's home), ~/.gpunb created 0700.
Context make_context();

}  // namespace gpunb::agent
