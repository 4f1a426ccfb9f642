// The command table: each command file adds its subcommand and the action that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "app/connect.hpp"
#include "app/context.hpp"

namespace gpunb::cli {

using Action = std::function<int(app::Context&)>;

// Collects the action of whichever subcommand CLI11 parsed.
class CommandTable {
 public:
  CLI::App* add(CLI::App& parent, const std::string& name, const std::string& description,
                Action action);
  const Action* chosen() const;

 private:
  std::vector<std::pair<CLI::App*, Action>> commands_;
};

void add_up(CLI::App& app, CommandTable& table);
void add_ls(CLI::App& app, CommandTable& table);
void add_lifecycle(CLI::App& app, CommandTable& table);  // start, stop, down
void add_connect(CLI::App& app, CommandTable& table);    // connect, open, disconnect
void add_remote(CLI::App& app, CommandTable& table);     // jupyter, ssh, ssh-config, forget-host
void add_sync(CLI::App& app, CommandTable& table);       // push, pull, sync
void add_fetch(CLI::App& app, CommandTable& table);      // fetch
void add_cost(CLI::App& app, CommandTable& table);       // cost
void add_autostop(CLI::App& app, CommandTable& table);   // autostop
void add_connect_options(CLI::App& command, app::ConnectRequest& request, bool& no_browser);
// --host-key-wait, --trust-first-use, --host-key: how a first contact verifies the host key.
void add_host_key_options(CLI::App& command, app::HostKeyPolicy& policy);

}  // namespace gpunb::cli
