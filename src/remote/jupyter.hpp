// Jupyter on the machine, through the agent: started detached (tmux/screen/nohup) on 127.0.0.1,
// one per notebook name, reused while it answers.
#pragma once

#include <string>

#include "core/error.hpp"
#include "remote/agent.hpp"

namespace gpunb::remote {

struct JupyterServer {
  int port = 0;
  std::string token;  // secret: never log it, never put it on a command line
  std::string kind;   // lab | notebook | server
  bool reused = false;
  std::string supervisor;  // tmux | screen | nohup
};

struct JupyterStatus {
  bool running = false;
  int port = 0;
  std::string kind;
  int pid = 0;
  std::string started_at;
  std::string supervisor;
};

// WORKDIR may start with "~/" (the remote home); empty means ~/work/NAME.
core::Result<JupyterServer> ensure_jupyter(Agent& agent, const std::string& name,
                                           const std::string& workdir = {});

// Exposed mode (--expose, opt-in): HTTPS on every address of the machine at PORT, with a
// certificate at CERTFILE/KEYFILE on the machine (a self-signed one is made there when absent).
struct Exposure {
  int port = 8443;
  std::string certfile;  // empty: ~/.gpunb/jupyter/NAME.crt
  std::string keyfile;
};
core::Result<JupyterServer> ensure_exposed_jupyter(Agent& agent, const std::string& name,
                                                   const std::string& workdir,
                                                   const Exposure& exposure);
core::Result<JupyterStatus> jupyter_status(Agent& agent, const std::string& name);
core::Result<bool> stop_jupyter(Agent& agent, const std::string& name);  // true: one was running
// Keeps the token; an empty WORKDIR keeps the running server's.
core::Result<JupyterServer> restart_jupyter(Agent& agent, const std::string& name,
                                            const std::string& workdir = {});
core::Result<std::string> jupyter_logs(Agent& agent, const std::string& name, int lines = 200);

}  // namespace gpunb::remote
