// `gpunb cost [--since DATE] [--json]`: what the ledger's machines cost.
#include <fmt/format.h>

#include <memory>

#include "app/cost_report.hpp"
#include "cli/commands.hpp"
#include "cli/cost_format.hpp"

namespace gpunb::cli {

namespace {

struct CostOptions {
  std::string since;
  bool json = false;
};

int run_cost(app::Context& context, const CostOptions& options) {
  std::int64_t since = 0;
  if (!options.since.empty()) {
    auto parsed = app::parse_date(options.since);
    if (!parsed) {
      throw core::Fatal({core::ErrorKind::usage,
                         "--since must be a date, not '" + options.since + "'",
                         "e.g. --since 2024-09-01 or --since 2024-09-01T12:00:00Z (UTC)"});
    }
    since = *parsed;
  }
  auto report = app::cost_report(context, since);
  if (options.json) {
    fmt::print(context.output().out, "{}\n", report_json(report).dump(2));
    return 0;
  }
  if (report.machines.empty()) {
    fmt::print(context.output().out, "No EC2 machines in the ledger: nothing spent.\n");
    return 0;
  }
  fmt::print(context.output().out, "{}", report_table(report));
  return 0;
}

}  // namespace

void add_cost(CLI::App& app, CommandTable& table) {
  auto options = std::make_shared<CostOptions>();
  auto* command = table.add(app, "cost", "What the machines in the ledger have cost",
                            [=](app::Context& context) { return run_cost(context, *options); });
  command->add_option("--since", options->since, "Only from this date on (YYYY-MM-DD, UTC)");
  command->add_flag("--json", options->json, "JSON report");
}

}  // namespace gpunb::cli
