// `gpunb-agent watch`: the idle watcher. One per user (a flock on ~/.gpunb/watch.lock), detached
// from any SSH session, started by the watch.configure op and again at boot (watch_boot.hpp).
// Every `interval` seconds it samples what keeps the machine busy (watch_signals.hpp,
// watch_tcp.hpp), asks IdlePolicy, writes ~/.gpunb/watch.state.json, and once the machine has
// been idle for `autostop` it logs why and shuts it down (watch_power.hpp). It re-reads
// ~/.gpunb/watch.json when it changes (the idle clock then restarts) and, on spot machines,
// watches for the interruption notice (watch_spot.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "agent/host/context.hpp"
#include "agent/watch/settings.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

// `gpunb-agent watch [--foreground|--sample]`: --sample prints one sample and the decision as a
// JSON line (bench/gpu_check.sh) and exits; anything else is watch_main.
int watch_command(const std::string& option);

// The agent mode. Detaches itself (setsid, double fork, stdio to ~/.gpunb/agent.log) unless
// FOREGROUND (systemd). Exit code; 0 when another watcher already runs.
int watch_main(bool foreground);

// This process's binary (/proc/self/exe): a watcher from another binary is an older agent's.
std::filesystem::path self_exe();
// The running watcher's PID (whoever holds the lock), nullopt when none runs.
std::optional<long> running_watcher(const WatchFiles& files);
// Starts the watcher from AGENT_BIN unless one of this agent's version runs (an older one is
// asked to end first); returns its PID once it holds the lock.
Result<long> ensure_watcher(const WatchFiles& files, const std::filesystem::path& agent_bin);

}  // namespace gpunb::agent
