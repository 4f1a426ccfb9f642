// The watcher's loop: sample, decide, report, act; see watch.hpp.
#pragma once

#include <csignal>
#include <filesystem>
#include <optional>

#include "agent/host/context.hpp"
#include "agent/watch/idle_policy.hpp"
#include "agent/watch/settings.hpp"
#include "agent/watch/signals.hpp"
#include "agent/watch/spot.hpp"
#include "agent/watch/tcp.hpp"

namespace gpunb::agent {

class WatchLoop {
 public:
  WatchLoop(Context& context, WatchFiles files);
  int run(const sigset_t& ending);  // until one of ENDING arrives; exit code
  nlohmann::json sample_once();     // one sample and its decision, acting on nothing

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
  WatchSettings settings_;
  IdlePolicy policy_;
  TcpTraffic tcp_;
  std::optional<SpotWatch> spot_;
  std::optional<Seconds> last_forward_;
  std::filesystem::file_time_type settings_mtime_{};
  bool stopping_ = false;
  std::string logged_;  // the last state written to the log: busy and why, or idle since when
  Seconds retry_at_ = 0;
  std::string note_;
  Seconds noted_at_ = 0;
};

}  // namespace gpunb::agent
