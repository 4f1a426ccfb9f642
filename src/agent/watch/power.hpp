// The end of an idle machine: an instance-initiated shutdown (EC2 stops the instance, or
// terminates it when InstanceInitiatedShutdownBehavior=terminate, which the laptop sets for
// --autodown), and the check that keeps --autodown from losing unpulled work.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "agent/watch/idle_policy.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

// `sudo -n shutdown -h now`, else `shutdown -h now`, else `systemctl poweroff` (each looked up
// on $PATH, then /usr/sbin:/sbin). Returns the command that was accepted.
Result<std::string> power_off();

// Nullopt when WORKSPACE has not changed since its last complete pull (no file newer than the
// pull, .ipynb_checkpoints aside); else why not ("never pulled", "a.ipynb changed after ...").
std::optional<std::string> unpulled_change(const std::filesystem::path& state_dir,
                                           const std::string& workspace);

}  // namespace gpunb::agent
