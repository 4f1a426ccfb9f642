// `gpunb up`: a running machine of that name, reused, started or launched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/connect.hpp"
#include "app/context.hpp"
#include "app/progress.hpp"
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

// The launch itself, after `up` chose the name, region and token: prepares, writes the intent
// (name, region, TOKEN) before anything costs money, then asks the provider. `resume`: the ledger
// already holds this intent (a run cut short), launched again with its token. A definite refusal
// removes the intent; after a network error it stays, for the next run to adopt what was made.
core::Machine launch_new(Context& context, const core::MachineSpec& spec, std::string token,
                         bool resume, ProgressLine& progress);

}  // namespace gpunb::app
