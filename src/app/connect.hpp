// The notebook: Jupyter on the machine (started or reused by the agent) reached through a
// self-healing tunnel on 127.0.0.1, in the foreground or detached.
#pragma once

#include <optional>
#include <string>

#include "app/context.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

struct ConnectRequest {
  int port = 9999;  // the next free one when taken; never 8888
  bool detach = false;
  bool open_browser = true;
  // --expose (opt-in, discouraged): HTTPS on the machine's address instead of the tunnel.
  std::optional<int> expose_port;
  std::string certfile, keyfile;        // on the machine; empty: a self-signed pair made there
  std::optional<std::string> ssh_cidr;  // who may reach the exposed port (default: as for SSH)
  bool push_first = false;              // `up`: send the workspace before Jupyter starts
  int autopull_minutes = 0;             // while connected, pull this often (0: never)
  std::optional<long long> autostop_s;  // --autostop (0: off); nullopt: the machine's, or default
  bool autodown = false;                // --autodown: terminate instead of stop, once pulled
  std::optional<long long> max_running_s;  // --max-hours (0: off); nullopt: the machine's/config's
};

// Prints the notebook URL, then serves the tunnel until Ctrl-C (or, detached, in a background
// process). Returns the exit code.
int connect(Context& context, const core::Machine& machine, const ConnectRequest& request);

// The detached tunnel of a machine, if one runs.
struct DetachedTunnel {
  int pid = 0;
  int port = 0;
};
std::optional<DetachedTunnel> detached_tunnel(Context& context, const std::string& name);
bool disconnect(Context& context, const std::string& name);  // false when none was running

// Opens the URL in the desktop's browser without putting the token on a command line.
void open_browser(Context& context, const std::string& name, const std::string& url);

}  // namespace gpunb::app
