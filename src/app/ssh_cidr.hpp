// Which address may reach SSH on a new machine.
#pragma once

#include <optional>
#include <string>

#include "app/context.hpp"

namespace gpunb::app {

// --ssh-cidr, then GPUNB_SSH_CIDR, then config.toml's ssh_cidr, then the caller's public
// address /32 as https://checkip.amazonaws.com sees it (looked up once per `up`).
std::string resolve_ssh_cidr(Context& context, const std::optional<std::string>& flag);

}  // namespace gpunb::app
