#include <fmt/format.h>

#include <memory>

#include "app/list.hpp"
#include "base/text.hpp"
#include "cli/commands.hpp"
#include "cli/cost_format.hpp"

namespace gpunb::cli {

namespace {

struct LsOptions {
  bool json = false;
  bool all_regions = false;
  bool all = false;
};

int run_ls(app::Context& context, const LsOptions& options) {
  auto machines = app::list(context, {options.all_regions, options.all});
  if (options.json) {
    auto array = nlohmann::json::array();
    for (const auto& listed : machines) array.push_back(ls_json(listed));
    fmt::print(context.output().out, "{}\n", array.dump(2));
    return 0;
  }
  if (machines.empty()) {
    fmt::print(context.output().out, "No machines. Create one with: gpunb up NAME\n");
    return 0;
  }
  // Names and reasons come from the cloud (tags of machines this ledger lacks): printed escaped.
  fmt::print(context.output().out, "{}", base::printable(ls_table(machines), true));
  bool defaults = std::any_of(machines.begin(), machines.end(), [](const auto& m) {
    return m.cost && !m.cost->autostop_from_ledger &&
           m.machine.state == core::MachineState::running;
  });
  if (defaults) fmt::print(context.output().out, "(autostop*: the configured default)\n");
  bool orphans =
      std::any_of(machines.begin(), machines.end(), [](const auto& m) { return m.orphan; });
  if (orphans) {
    fmt::print(context.output().out,
               "(orphan: made by gpunb but not in this ledger; `gpunb up NAME` adopts it, "
               "`gpunb down NAME` terminates it)\n");
  }
  return 0;
}

}  // namespace

void add_ls(CLI::App& app, CommandTable& table) {
  auto options = std::make_shared<LsOptions>();
  auto* command = table.add(app, "ls", "List machines with their state (reconciled with the cloud)",
                            [=](app::Context& context) { return run_ls(context, *options); });
  command->add_flag("--json", options->json, "JSON array of machines");
  command->add_flag("--all-regions", options->all_regions, "Sweep every region for gpunb machines");
  command->add_flag("--all", options->all, "Include terminated machines");
}

}  // namespace gpunb::cli
