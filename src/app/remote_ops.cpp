#include "app/remote_ops.hpp"

#include <fmt/format.h>

#include "app/machines.hpp"
#include "app/remote.hpp"
#include "base/files.hpp"
#include "remote/jupyter.hpp"
#include "util/fs.hpp"

namespace gpunb::app {

namespace {

std::string describe(const remote::JupyterStatus& status) {
  if (!status.running) return "Jupyter is not running (`gpunb connect` starts it)";
  return fmt::format(
      "Jupyter {} is running on the machine's 127.0.0.1:{} (pid {}, in {}, since {})", status.kind,
      status.port, status.pid, status.supervisor, status.started_at);
}

}  // namespace

std::string jupyter(Context& context, const std::string& name, JupyterVerb verb) {
  auto machine = require_running(context, name);
  auto session = open_session(context, machine);
  auto agent = start_agent(context, session);
  switch (verb) {
    case JupyterVerb::status:
      return describe(core::value_or_throw(remote::jupyter_status(agent, name)));
    case JupyterVerb::logs:
      return core::value_or_throw(remote::jupyter_logs(agent, name));
    case JupyterVerb::stop:
      return core::value_or_throw(remote::stop_jupyter(agent, name)) ? "Jupyter stopped"
                                                                     : "Jupyter was not running";
    case JupyterVerb::restart: {
      auto server =
          core::value_or_throw(remote::restart_jupyter(agent, name, jupyter_workdir(machine)));
      return fmt::format("Jupyter {} restarted on the machine's 127.0.0.1:{} (same token)",
                         server.kind, server.port);
    }
  }
  return {};
}

std::vector<std::string> ssh_command(Context& context, const std::string& name,
                                     const std::vector<std::string>& remote_command) {
  auto machine = require_running(context, name);
  if (!is_pinned(context, machine)) open_session(context, machine);  // verifies and pins the key
  std::vector<std::string> argv = {"ssh",
                                   "-i",
                                   context.key_path().string(),
                                   "-o",
                                   "IdentitiesOnly=yes",
                                   "-o",
                                   "HostKeyAlias=" + host_alias(machine),
                                   "-o",
                                   "UserKnownHostsFile=" + known_hosts_path(context).string(),
                                   "-o",
                                   "StrictHostKeyChecking=yes",
                                   "-p",
                                   std::to_string(machine.ssh_port)};
  argv.push_back(machine.user.empty() ? machine.public_ip : machine.user + "@" + machine.public_ip);
  if (!remote_command.empty()) argv.emplace_back("--");
  argv.insert(argv.end(), remote_command.begin(), remote_command.end());
  return argv;
}

std::string write_ssh_config(Context& context) {
  std::string text = "# Written by `gpunb ssh-config`; add `Include " +
                     (context.config_dir() / "ssh_config").string() + "` to ~/.ssh/config.\n";
  for (const auto& machine : core::value_or_throw(context.ledger().all())) {
    if (!core::is_live(machine.state) || machine.public_ip.empty()) continue;
    text += fmt::format(
        "\nHost gpunb-{}\n  HostName {}\n  Port {}\n{}  IdentityFile {}\n  IdentitiesOnly yes\n"
        "  HostKeyAlias {}\n  UserKnownHostsFile {}\n  StrictHostKeyChecking yes\n",
        machine.name, machine.public_ip, machine.ssh_port,
        machine.user.empty() ? "" : "  User " + machine.user + "\n", context.key_path().string(),
        host_alias(machine), known_hosts_path(context).string());
  }
  auto path = context.config_dir() / "ssh_config";
  util::ensure_private_dir(context.config_dir());
  core::value_or_throw(base::write_atomic(path, text, 0600));
  return path.string();
}

bool forget_host(Context& context, const std::string& name) {
  auto machine = require_machine(context, name);
  return core::value_or_throw(ssh::forget_host(known_hosts_path(context), host_alias(machine)));
}

}  // namespace gpunb::app
