// What a machine's idle watcher last told this laptop, kept in
// $XDG_STATE_HOME/gpunb/watch/NAME.json so that `gpunb ls` can show the time left until autostop
// without reaching any machine. Written whenever gpunb asks the watcher: `up`, `connect`,
// `autostop`, and every 30 s by an open tunnel.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/context.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

struct WatchReport {
  std::string id;            // the instance it came from (a name may be reused)
  std::int64_t seen_at = 0;  // laptop clock, unix seconds
  bool busy = false;
  std::vector<std::string> reasons;     // why busy
  std::optional<std::int64_t> stop_in;  // seconds after seen_at; none: busy or autostop off
  std::int64_t autostop_s = 0;          // 0: off
  bool autodown = false;

  // Seconds left at NOW (laptop clock), never below 0; none when not counting down.
  std::optional<std::int64_t> left_at(std::int64_t now) const;
};

// True when the reply's last sample is older than its setting (just changed): it was judged by
// the old setting, so its busy/stop_at say nothing about the new one.
bool sample_predates_setting(const nlohmann::json& reply);

// From a watch.status or watch.configure reply; none when the watcher is not running or has not
// sampled since the setting last changed.
std::optional<WatchReport> report_of(const nlohmann::json& reply, const std::string& id,
                                     std::int64_t seen_at);

// Keeps the report of a reply (or forgets the old one when the reply has none).
void remember_watch(Context& context, const core::Machine& machine, const nlohmann::json& reply);

// The report kept for this machine, when it is from this instance and at most kWatchReportMaxAge
// old: an older one may no longer hold (the machine may have become busy since).
constexpr std::int64_t kWatchReportMaxAge = 120;
std::optional<WatchReport> recall_watch(Context& context, const core::Machine& machine,
                                        std::int64_t now);

}  // namespace gpunb::app
