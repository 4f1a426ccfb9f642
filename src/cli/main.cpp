#include "cli/main.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "app/cost_warning.hpp"
#include "app/progress.hpp"
#include "base/text.hpp"
#include "cli/commands.hpp"

namespace gpunb::cli {

namespace {

constexpr const char* kExitCodes = R"(Exit codes:
  0 success            1 internal error       2 bad usage or configuration
  3 credentials/region 4 cloud API error      5 no such machine, image or type
  6 no capacity        7 refused for safety   8 network or timeout
  9 sync conflict (both versions kept)         130 interrupted)";

struct Flags {
  app::GlobalOptions global;
  bool verbose = false;
  bool quiet = false;
};

void add_global_options(CLI::App& app, Flags& flags) {
  app.add_option("--profile", flags.global.profile,
                 "AWS profile (default: AWS_PROFILE or default)");
  app.add_option("--region", flags.global.region,
                 "AWS region (default: AWS_REGION, config, profile)");
  app.add_flag("-v,--verbose", flags.verbose, "Log each step");
  app.add_flag("-q,--quiet", flags.quiet, "Only errors");
}

int report(const core::Error& error, const base::Logger& log) {
  auto line = error.hint.empty() ? error.message : error.message + " (" + error.hint + ")";
  // Messages may carry what a machine or a server said: control characters are escaped.
  fmt::print(stderr, "gpunb: error: {}\n", base::printable(log.redactor_const().redact(line)));
  return core::exit_code(error.kind);
}

int execute(const Action& action, Flags& flags) {
  util::ProcessEnv env;
  base::Logger log(stderr, flags.verbose ? base::LogLevel::debug
                           : flags.quiet ? base::LogLevel::error
                                         : base::LogLevel::warn);
  base::SystemClock clock;
  app::Output output{stdout, stderr, ::isatty(STDERR_FILENO) == 1, ::isatty(STDIN_FILENO) == 1};
  app::Context context(env, log, clock, output, flags.global);
  try {
    app::warn_unattended(context);
    return action(context);
  } catch (const core::Fatal& fatal) {
    return report(fatal.error(), log);
  } catch (const std::exception& unexpected) {
    return report({core::ErrorKind::internal, unexpected.what(), "please report this"}, log);
  }
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app("gpunb: Jupyter notebooks on a cloud GPU machine, safely and cheaply", "gpunb");
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.set_version_flag("--version", "gpunb 0.1.0");
  Flags flags;
  add_global_options(app, flags);
  CommandTable table;
  add_up(app, table);
  add_ls(app, table);
  add_lifecycle(app, table);
  add_connect(app, table);
  add_remote(app, table);
  add_sync(app, table);
  add_fetch(app, table);
  add_cost(app, table);
  add_autostop(app, table);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : core::exit_code(core::ErrorKind::usage);
  }
  app::install_interrupt_handler();
  return execute(*table.chosen(), flags);
}

}  // namespace gpunb::cli
