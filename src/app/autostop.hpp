// Autostop from the laptop: the machine's own idle watcher (gpunb-agent watch) is told what to
// do through the agent's watch.configure op; it then stops (or, --autodown, terminates) the
// machine by itself, laptop closed or not. See src/agent/watch/watch.hpp.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "app/context.hpp"
#include "core/config.hpp"
#include "core/machine.hpp"
#include "remote/agent.hpp"

namespace gpunb::app {

struct AutostopSetting {
  std::optional<long long> seconds;  // 0: off; nullopt: keep what the machine has, else default
  bool autodown = false;             // terminate instead of stop, once the workspace is pulled
  // --max-hours: stop after this long running, busy or not (0: off); nullopt: keep the machine's,
  // or config.toml's `max_hours` for a machine that has none.
  std::optional<long long> max_running_s;
};

using core::parse_duration_s;  // "30m", "2h", "45s", "90" (minutes), "off"
// --max-hours: "off" (0), or hours from 0.01 to 720 ("4", "0.5", "8h"); nullopt otherwise.
std::optional<long long> parse_max_hours_s(std::string_view text);
// Refuses --max-hours on a machine gpunb cannot stop (an SSH box).
void check_max_hours(const core::Machine& machine, const AutostopSetting& setting);

std::string human_duration(long long seconds);  // "1h 30m", "45s"

// On an open agent (connect, up): the watcher started and configured. With no explicit seconds
// the machine keeps its setting, or gets config.toml's `autostop` (default 60 minutes).
nlohmann::json configure_watch(Context& context, const core::Machine& machine, remote::Agent& agent,
                               const AutostopSetting& setting);

// `gpunb autostop NAME [DURATION|off] [--autodown]`: changes the setting (never stops the
// machine at once: the idle clock restarts), or with no DURATION reports it.
nlohmann::json set_autostop(Context& context, const std::string& name,
                            const AutostopSetting& setting);

// The watcher's report (watch.status) on an agent already open; kept for `ls` (watch_report.hpp).
nlohmann::json watch_status(Context& context, const core::Machine& machine, remote::Agent& agent,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace gpunb::app
