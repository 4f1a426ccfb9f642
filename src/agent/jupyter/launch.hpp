// Starting Jupyter: the launcher script (no secret in it: it reads the token file into
// JUPYTER_TOKEN) and the supervisor that keeps it alive with the laptop gone: tmux, else screen,
// else a detached session of its own (setsid, double fork).
#pragma once

#include <string>
#include <vector>

#include "agent/host/probe.hpp"
#include "agent/jupyter/state.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

struct Exposure {
  int port = 0;
  std::string certfile;  // on the machine; made (self-signed) when absent
  std::string keyfile;
};

struct LaunchPlan {
  JupyterFound jupyter;
  std::string login_path;
  int port = 0;
  std::string workdir;  // absolute
  bool as_root = false;
  // --expose: HTTPS on every address with this certificate, instead of 127.0.0.1 only.
  std::optional<Exposure> expose;
};

std::vector<std::string> jupyter_arguments(const LaunchPlan& plan);
std::string launcher_script(const LaunchPlan& plan, const JupyterFiles& files);

std::string session_name(const std::string& name);  // "gpunb-NAME"
// "tmux", "screen" or "nohup": WANTED when given and available, else the best available.
Result<std::string> pick_supervisor(const Probe& probe, const std::string& wanted);
Status start_supervised(const Probe& probe, const std::string& supervisor, const std::string& name,
                        const JupyterFiles& files);
// Ends the tmux/screen session NAME when there is one (the process itself is stopped before).
// PROGRAM: the tmux or screen executable, when known.
void end_supervisor_session(const std::optional<std::string>& program,
                            const std::string& supervisor, const std::string& name);

}  // namespace gpunb::agent
