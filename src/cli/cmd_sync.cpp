#include <fmt/format.h>

#include <memory>

#include "app/lifecycle.hpp"
#include "app/machines.hpp"
#include "app/sync.hpp"
#include "cli/commands.hpp"
#include "sync/report.hpp"

namespace gpunb::cli {

namespace {

struct SyncOptions {
  std::string name;
  app::SyncRequest request;
  bool json = false;
};

int run_sync(app::Context& context, const SyncOptions& options) {
  bool pulls = options.request.direction != sync::Direction::push && !options.request.dry_run;
  auto target = app::running_for_sync(context, options.name, pulls);
  auto result = app::sync_machine(context, target.machine, options.request);
  if (options.json) {
    fmt::print(context.output().out, "{}\n", sync::json_report(result.plan).dump(2));
  } else {
    fmt::print(context.output().out, "{}",
               sync::human_report(result.plan, options.request.dry_run));
  }
  core::value_or_throw(sync::outcome(result.plan));
  if (target.autodown && !result.conflicts) app::finish_autodown(context, options.name);
  return 0;
}

void add_one(CLI::App& app, CommandTable& table, const char* name, const char* description,
             sync::Direction direction) {
  auto options = std::make_shared<SyncOptions>();
  options->request.direction = direction;
  auto* command = table.add(app, name, description,
                            [=](app::Context& context) { return run_sync(context, *options); });
  command->add_option("NAME", options->name, "Machine name")->required();
  command->add_flag("--delete", options->request.options.delete_, "Propagate deletions too");
  command->add_flag("--include-large", options->request.options.include_large,
                    "Also bring back files over the size limit (100 MB)");
  command->add_flag("--dry-run,-n", options->request.dry_run, "Only say what would be done");
  command->add_flag("--json", options->json, "A JSON summary");
}

}  // namespace

void add_sync(CLI::App& app, CommandTable& table) {
  add_one(app, table, "push", "Send the workspace's changes to the machine", sync::Direction::push);
  add_one(app, table, "pull", "Bring the machine's changes back to the workspace",
          sync::Direction::pull);
  add_one(app, table, "sync", "Both ways; a file changed on both sides is kept twice",
          sync::Direction::both);
}

}  // namespace gpunb::cli
