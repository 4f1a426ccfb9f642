// Commands that reach into a machine: jupyter status/restart/logs, ssh, ssh-config, forget-host.
#pragma once

#include <string>
#include <vector>

#include "app/context.hpp"

namespace gpunb::app {

enum class JupyterVerb { status, restart, logs, stop };
// What to print for `gpunb jupyter VERB NAME` (no token in it).
std::string jupyter(Context& context, const std::string& name, JupyterVerb verb);

// The OpenSSH command line for `gpunb ssh NAME [-- CMD]`: the gpunb key, user, port and the
// pinned host key (pinned first when it is not yet).
std::vector<std::string> ssh_command(Context& context, const std::string& name,
                                     const std::vector<std::string>& remote_command);

// Writes $XDG_CONFIG_HOME/gpunb/ssh_config (Host gpunb-NAME blocks) and returns its path.
std::string write_ssh_config(Context& context);

bool forget_host(Context& context, const std::string& name);

}  // namespace gpunb::app
