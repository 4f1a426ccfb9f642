#include <fmt/format.h>
#include <unistd.h>

#include <memory>

#include "app/remote_ops.hpp"
#include "base/text.hpp"
#include "cli/commands.hpp"

namespace gpunb::cli {

namespace {

struct SshOptions {
  std::string name;
  std::vector<std::string> command;
};

[[noreturn]] int exec_ssh(app::Context& context, const SshOptions& options) {
  auto argv = app::ssh_command(context, options.name, options.command);
  std::vector<char*> raw;
  raw.reserve(argv.size() + 1);
  for (auto& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);
  std::fflush(nullptr);
  ::execvp("ssh", raw.data());
  throw core::Fatal({core::ErrorKind::internal, "cannot run ssh", "install openssh-client"});
}

void add_jupyter(CLI::App& app, CommandTable& table) {
  auto* group = app.add_subcommand("jupyter", "Jupyter on a machine: status, restart, logs, stop");
  group->require_subcommand(1);
  const std::vector<std::pair<const char*, app::JupyterVerb>> verbs = {
      {"status", app::JupyterVerb::status},
      {"restart", app::JupyterVerb::restart},
      {"logs", app::JupyterVerb::logs},
      {"stop", app::JupyterVerb::stop}};
  for (const auto& [verb_name, verb] : verbs) {
    auto name = std::make_shared<std::string>();
    auto* command =
        table.add(*group, verb_name, std::string("Jupyter ") + verb_name,
                  [name, verb = verb](app::Context& context) {
                    // Jupyter's status and log come from the machine: printed escaped.
                    fmt::print(context.output().out, "{}\n",
                               base::printable(app::jupyter(context, *name, verb), true));
                    return 0;
                  });
    command->add_option("NAME", *name, "Machine name")->required();
  }
}

}  // namespace

void add_remote(CLI::App& app, CommandTable& table) {
  add_jupyter(app, table);

  auto ssh = std::make_shared<SshOptions>();
  auto* ssh_cmd =
      table.add(app, "ssh", "SSH into a machine (OpenSSH, gpunb's key and pinned host key)",
                [=](app::Context& context) -> int { exec_ssh(context, *ssh); });
  ssh_cmd->add_option("NAME", ssh->name, "Machine name")->required();
  ssh_cmd->add_option("CMD", ssh->command, "Command to run (after --)");

  table.add(app, "ssh-config",
            "Write an Include-able ssh config: `ssh gpunb-NAME`, VS Code Remote-SSH",
            [](app::Context& context) {
              auto path = app::write_ssh_config(context);
              fmt::print(context.output().out,
                         "Wrote {}\nAdd this line at the top of ~/.ssh/config:\n  Include {}\n",
                         path, path);
              return 0;
            });

  auto name = std::make_shared<std::string>();
  auto* forget =
      table.add(app, "forget-host", "Forget a machine's pinned host key (after a rebuild)",
                [=](app::Context& context) {
                  bool removed = app::forget_host(context, *name);
                  fmt::print(context.output().out, "{}\n",
                             removed ? "Forgot the host key of " + *name
                                     : "No host key was pinned for " + *name);
                  return 0;
                });
  forget->add_option("NAME", *name, "Machine name")->required();
}

}  // namespace gpunb::cli
