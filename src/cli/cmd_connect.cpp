#include <fmt/format.h>

#include <memory>

#include "app/connect.hpp"
#include "app/machines.hpp"
#include "cli/commands.hpp"

namespace gpunb::cli {

namespace {

struct ConnectOptions {
  std::string name;
  app::ConnectRequest request;
  bool no_browser = false;
  app::HostKeyPolicy host_key;
};

int run_connect(app::Context& context, ConnectOptions options) {
  context.set_host_key_policy(options.host_key);
  options.request.open_browser = !options.no_browser;
  auto machine = app::require_machine(context, options.name);
  if (machine.state != core::MachineState::running) {
    throw core::Fatal({core::ErrorKind::refused,
                       options.name + " is " + core::to_string(machine.state),
                       "start it with `gpunb start " + options.name + "`"});
  }
  return app::connect(context, machine, options.request);
}

int run_disconnect(app::Context& context, const std::string& name) {
  if (!app::disconnect(context, name)) {
    fmt::print(context.output().out, "No background tunnel for {}.\n", name);
    return 0;
  }
  fmt::print(context.output().out, "Closed the tunnel to {}; the machine keeps running.\n", name);
  return 0;
}

}  // namespace

void add_connect(CLI::App& app, CommandTable& table) {
  auto connect = std::make_shared<ConnectOptions>();
  auto* connect_cmd =
      table.add(app, "connect", "Open the tunnel to a running machine's Jupyter",
                [=](app::Context& context) { return run_connect(context, *connect); });
  connect_cmd->add_option("NAME", connect->name, "Machine name")->required();
  add_connect_options(*connect_cmd, connect->request, connect->no_browser);
  add_host_key_options(*connect_cmd, connect->host_key);

  auto open = std::make_shared<ConnectOptions>();
  auto* open_cmd =
      table.add(app, "open", "Open the notebook in the browser (connecting in the background)",
                [=](app::Context& context) {
                  auto options = *open;
                  options.request.detach = true;
                  return run_connect(context, options);
                });
  open_cmd->add_option("NAME", open->name, "Machine name")->required();

  auto name = std::make_shared<std::string>();
  auto* disconnect_cmd =
      table.add(app, "disconnect", "Close a machine's background tunnel",
                [=](app::Context& context) { return run_disconnect(context, *name); });
  disconnect_cmd->add_option("NAME", *name, "Machine name")->required();
}

}  // namespace gpunb::cli
