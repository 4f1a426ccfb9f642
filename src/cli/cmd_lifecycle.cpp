#include <fmt/format.h>

#include <memory>

#include "app/lifecycle.hpp"
#include "cli/commands.hpp"
#include "cli/format.hpp"

namespace gpunb::cli {

namespace {

struct Target {
  std::string name;
  bool flag = false;            // --no-connect for start, --yes for down
  bool force = false;           // stop/down without the work pulled home
  app::HostKeyPolicy host_key;  // start
};

int print_result(app::Context& context, const core::Machine& machine) {
  fmt::print(context.output().out, "{}\n", summary(machine));
  return 0;
}

// An ssh box is never stopped or deleted by gpunb: say what was done instead.
bool print_box(app::Context& context, const core::Machine& machine, const char* what) {
  if (machine.provider != "ssh") return false;
  fmt::print(context.output().out, "{}: Jupyter stopped{}; the machine itself is left as it is.\n",
             machine.name, what);
  return true;
}

}  // namespace

void add_lifecycle(CLI::App& app, CommandTable& table) {
  auto start = std::make_shared<Target>();
  auto* start_cmd = table.add(app, "start", "Start a stopped machine", [=](app::Context& context) {
    context.set_host_key_policy(start->host_key);
    return print_result(context, app::start(context, start->name, start->flag));
  });
  start_cmd->add_option("NAME", start->name, "Machine name")->required();
  start_cmd->add_flag("--no-connect", start->flag, "Return as soon as the machine runs");
  add_host_key_options(*start_cmd, start->host_key);

  auto stop = std::make_shared<Target>();
  auto* stop_cmd =
      table.add(app, "stop", "Stop a machine (its disk is kept, and still billed)",
                [=](app::Context& context) {
                  auto machine = app::stop(context, stop->name, stop->force);
                  if (print_box(context, machine, "")) return 0;
                  print_result(context, machine);
                  fmt::print(context.output().out, "`gpunb start {}` resumes it.\n", stop->name);
                  return 0;
                });
  stop_cmd->add_option("NAME", stop->name, "Machine name")->required();
  stop_cmd->add_flag("--force", stop->force, "Stop even when the notebooks cannot be pulled first");

  auto down = std::make_shared<Target>();
  auto* down_cmd = table.add(
      app, "down", "Terminate a machine: its disk is deleted for ever", [=](app::Context& context) {
        auto machine = app::down(context, {down->name, down->flag, down->force});
        if (print_box(context, machine, " and the machine forgotten")) return 0;
        return print_result(context, machine);
      });
  down_cmd->add_option("NAME", down->name, "Machine name")->required();
  down_cmd->add_flag("-y,--yes", down->flag, "Do not ask (required when not on a terminal)");
  down_cmd->add_flag("--force", down->force,
                     "Terminate even when the notebooks cannot be pulled first");
}

}  // namespace gpunb::cli
