// Re-arming the idle watcher at boot: a systemd unit when systemd runs (a system unit through
// `sudo -n` when allowed, else the user's own, with lingering), else an `@reboot` line in the
// user's crontab. Each is written once and left alone when already in place.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace gpunb::agent {

// "systemd", "systemd-user" or "crontab"; a failure when none could be armed.
Result<std::string> arm_at_boot(const std::filesystem::path& agent_bin,
                                const std::filesystem::path& state_dir);

// The crontab with our @reboot line in place of any older one (pure, for tests).
std::string crontab_with(const std::string& current, const std::string& line);

}  // namespace gpunb::agent
