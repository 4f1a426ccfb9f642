// Reaching a machine: the pinned SSH connection and the agent on the other end.
#pragma once

#include <filesystem>
#include <string>

#include "app/context.hpp"
#include "core/machine.hpp"
#include "remote/agent.hpp"
#include "ssh/session.hpp"

namespace gpunb::app {

std::string host_alias(const core::Machine& machine);  // gpunb-<instance id> / gpunb-ssh-host-port
std::filesystem::path known_hosts_path(Context& context);  // gpunb's own, never ~/.ssh/known_hosts
bool is_pinned(Context& context, const core::Machine& machine);

// Options for a machine with its pinned key (the first contact's check is open_session's).
ssh::ConnectOptions connect_options(Context& context, const core::Machine& machine);

// Connects with host-key verification: a pinned key must match; the first time, the key must be
// one the cloud printed (EC2 console output, waited for), the user's known_hosts lists (a box), the
// user passed (--host-key) or accepted (a prompt, --trust-first-use); then it is pinned. Nothing
// else reaches the host before. Throws refused (exit 7) otherwise.
ssh::Session open_session(Context& context, const core::Machine& machine);

remote::Agent start_agent(Context& context, ssh::Session& session);
std::string agent_path(Context& context);  // where start_agent put it: ~/.gpunb/agent-<hash>

std::string jupyter_workdir(const core::Machine& machine);  // ~/work/NAME

}  // namespace gpunb::app
