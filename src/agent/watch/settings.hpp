// What the idle watcher is told, kept in ~/.gpunb/watch.json (0600, on the machine's disk, so it
// survives stop/start and reboots), and what it reports, in ~/.gpunb/watch.state.json.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/watch/idle_policy.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

struct WatchSettings {
  IdleSettings idle;
  std::string workspace;               // "~/work/NAME": what --autodown checks is pulled
  bool power = true;                   // shut the machine down (false: an SSH box, watch only)
  bool terminate_on_shutdown = false;  // the laptop set InstanceInitiatedShutdownBehavior
  bool spot = false;                   // poll the instance metadata for an interruption notice
  std::string imds_endpoint;           // "http://IP[:PORT]"; empty: $GPUNB_IMDS_ENDPOINT or EC2's
  Seconds configured_at = 0;
};

struct WatchFiles {
  std::filesystem::path settings, state, lock, spot, bin, self;  // self: watch_self.hpp
};
WatchFiles watch_files(const std::filesystem::path& state_dir);

nlohmann::json settings_json(const WatchSettings& settings);
// Fields absent from JSON keep BASE's values; bad values are a usage failure.
Result<WatchSettings> settings_from_json(const nlohmann::json& json, WatchSettings base = {});
std::optional<WatchSettings> read_settings(const WatchFiles& files);
Status write_settings(const WatchFiles& files, const WatchSettings& settings);

// The watcher's last sample, for watch.status and the tunnel's countdown.
struct WatchState {
  long pid = 0;
  std::string version;
  Seconds now = 0;
  bool busy = false;
  std::vector<std::string> reasons;
  Seconds idle_since = 0, stop_at = 0;  // stop_at 0: autostop off or busy
  Seconds cap_at = 0;                   // when --max-hours stops it; 0: no cap
  std::string note;                     // e.g. why --autodown refused to terminate
};
nlohmann::json state_json(const WatchState& state);
std::optional<WatchState> read_state(const WatchFiles& files);
Status write_state(const WatchFiles& files, const WatchState& state);

}  // namespace gpunb::agent
