// The idle decision, free of I/O: what the watcher samples goes in, whether the machine is busy
// (and why), when it became idle and when it will be stopped come out. The agent's watcher and the
// simulation bench/autostop_cost run exactly this code on a real or a simulated clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gpunb::agent {

using Seconds = std::int64_t;  // seconds since the epoch (or since the start of a simulation)

struct IdleSettings {
  Seconds autostop = 60 * 60;  // idle this long, then stop; 0: off
  bool autodown = false;       // terminate instead of stop (only once the workspace is pulled)
  Seconds window = 10 * 60;    // activity this recent keeps the machine busy
  double gpu_busy_percent = 10;
  Seconds interval = 5;     // sampling period
  Seconds max_running = 0;  // --max-hours: stop this long after running_since, busy or not; 0: off
  Seconds running_since = 0;  // when the machine started running (its boot, or later)
};

struct IdleSample {
  Seconds now = 0;
  bool kernel_executing = false;                // any kernel's execution_state is "busy"
  std::optional<Seconds> last_kernel_activity;  // newest kernel/session/terminal last_activity
  std::optional<double> gpu_percent;            // highest utilization of any GPU; none: no GPU
  bool transfer_running = false;                // a gpunb fetch or sync stream is running
  std::optional<Seconds> last_ssh_traffic;      // interactive SSH or a forwarded connection
};

struct IdleDecision {
  bool busy = false;
  std::vector<std::string> reasons;  // why busy: "kernel executing", "gpu 93%", ...
  Seconds idle_since = 0;            // valid when !busy
  Seconds stop_at = 0;               // valid when !busy and autostop is on
  Seconds cap_at = 0;                // when max_running ends the run; 0: no cap
  bool stop_now = false;
  bool capped = false;  // stop_now because of the cap (max-hours), not idleness
};

// Keeps the state between samples (when the machine last was busy).
class IdlePolicy {
 public:
  IdlePolicy(IdleSettings settings, Seconds started);
  IdleDecision observe(const IdleSample& sample);
  // Changing the settings never stops a machine at once: the idle clock restarts.
  void configure(const IdleSettings& settings, Seconds now);
  const IdleSettings& settings() const { return settings_; }

 private:
  IdleSettings settings_;
  Seconds last_busy_;
};

}  // namespace gpunb::agent
