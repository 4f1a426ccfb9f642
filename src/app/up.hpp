// `gpunb up`: a running machine of that name, reused, started or launched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/connect.hpp"
#include "app/context.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

struct UpRequest {
  std::string name;
  std::vector<std::string> types;  // empty: config.toml's, else g5.xlarge
  std::optional<std::string> ami;
  std::optional<std::string> user;
  std::optional<std::string> ssh_cidr;
  std::optional<int> disk_gb;
  bool spot = false;
  bool allow_cpu = false;
  bool no_connect = false;               // return once the machine runs: no SSH, no Jupyter
  std::optional<std::string> host;       // user@address[:port]: an existing box (ssh provider)
  std::optional<std::string> workspace;  // the folder to mirror; default: the machine's, else cwd
  ConnectRequest connect;
};

// Brings the machine up; returns it running (SSH answering unless no_connect).
core::Machine up(Context& context, const UpRequest& request);

// Shared with `start`: starts a stopped machine (waiting out a stop in progress) and waits
// until it runs and, unless no_connect, until SSH answers.
core::Machine bring_up(Context& context, core::Machine machine, bool no_connect);

void validate_name(const std::string& name);

}  // namespace gpunb::app
