// The mechanics of one named Jupyter: start it under a supervisor and wait until it answers,
// stop it and wait until its port is closed. The ops in ops_jupyter.cpp are built on these.
#pragma once

#include <chrono>
#include <string>

#include "agent/host/context.hpp"
#include "agent/jupyter/launch.hpp"
#include "agent/jupyter/state.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

struct StartRequest {
  std::string name;
  std::string workdir;     // may start with "~/"
  std::string token;       // already chosen: fresh for ensure, the old one for restart
  std::string supervisor;  // wanted; empty: the best available
  std::chrono::seconds ready_within{60};
  int preferred_port = 0;  // restart keeps the port when it is still free
  std::optional<Exposure> expose;
};

const Probe& ensure_probe(Context& context);
Result<ServerRecord> start_server(Context& context, const StartRequest& request);
// True when something was running and is now stopped; the record is gone either way.
Result<bool> stop_server(Context& context, const std::string& name);

}  // namespace gpunb::agent
