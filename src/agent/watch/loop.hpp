// The watcher's loop: sample, decide, report, act; see watch.hpp. It reads the world through
// Sensors, acts on it through Power and keeps time by Clock (sensors.hpp, power.hpp, clock.hpp),
// so tests run it on fakes; its files (settings, state, spot record) are those of WatchFiles.
#pragma once

#include <filesystem>
#include <optional>

#include "agent/host/context.hpp"
#include "agent/watch/clock.hpp"
#include "agent/watch/idle_policy.hpp"
#include "agent/watch/power.hpp"
#include "agent/watch/sensors.hpp"
#include "agent/watch/settings.hpp"

namespace gpunb::agent {

class WatchLoop {
 public:
  WatchLoop(Context& context, WatchFiles files, Sensors& sensors, Power& power, WatchClock& clock);
  int run();                     // until the clock's wait is ended by a signal; exit code
  nlohmann::json sample_once();  // one sample and its decision, acting on nothing

 private:
  void reload(Seconds now);
  IdleSample sample(Seconds now, JupyterActivity& jupyter);
  void report(const IdleDecision& decision, Seconds now);
  void act(const IdleDecision& decision, Seconds now);
  std::string reason_of(const IdleDecision& decision) const;
  bool terminate_self(const std::string& why, Seconds now);
  void stop_self(const std::string& why, const std::string& what, Seconds now);
  void watch_spot(Seconds now, const JupyterActivity& jupyter);
  void note(const std::string& text, Seconds now);

  Context& context_;
  WatchFiles files_;
  Sensors& sensors_;
  Power& power_;
  WatchClock& clock_;
  WatchSettings settings_;
  IdlePolicy policy_;
  bool spot_noticed_ = false;  // a notice is acted on once per setting
  std::filesystem::file_time_type settings_mtime_{};
  bool stopping_ = false;
  std::string logged_;  // the last state written to the log: busy and why, or idle since when
  Seconds retry_at_ = 0;
  std::string note_;
  Seconds noted_at_ = 0;
};

}  // namespace gpunb::agent
