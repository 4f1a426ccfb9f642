#include "agent/watch/idle_policy.hpp"

#include <algorithm>
#include <cmath>

namespace gpunb::agent {
namespace {

// The instantaneous reasons: what is running right now.
void running_reasons(const IdleSettings& settings, const IdleSample& sample,
                     std::vector<std::string>& reasons) {
  if (sample.kernel_executing) reasons.emplace_back("kernel executing");
  if (sample.gpu_percent && *sample.gpu_percent > settings.gpu_busy_percent) {
    reasons.push_back("gpu " + std::to_string(std::lround(*sample.gpu_percent)) + "%");
  }
  if (sample.transfer_running) reasons.emplace_back("transfer running");
}

// Activity newer than the window keeps the machine busy; a time in the future counts as now.
void recent_reasons(const IdleSettings& settings, const IdleSample& sample,
                    std::vector<std::string>& reasons) {
  auto recent = [&](const std::optional<Seconds>& when) {
    return when && sample.now - *when < settings.window;
  };
  if (recent(sample.last_kernel_activity)) reasons.emplace_back("notebook activity");
  if (recent(sample.last_ssh_traffic)) reasons.emplace_back("ssh traffic");
}

Seconds newest_activity(const IdleSample& sample) {
  Seconds newest = 0;
  for (const auto& when : {sample.last_kernel_activity, sample.last_ssh_traffic}) {
    if (when) newest = std::max(newest, std::min(*when, sample.now));
  }
  return newest;
}

}  // namespace

IdlePolicy::IdlePolicy(IdleSettings settings, Seconds started)
    : settings_(settings), last_busy_(started) {}

IdleDecision IdlePolicy::observe(const IdleSample& sample) {
  IdleDecision decision;
  running_reasons(settings_, sample, decision.reasons);
  bool running = !decision.reasons.empty();
  recent_reasons(settings_, sample, decision.reasons);
  decision.busy = !decision.reasons.empty();
  if (running) last_busy_ = std::max(last_busy_, sample.now);
  // Idleness starts at the last busy sample or the last recorded activity, whichever is newer.
  decision.idle_since = std::max(last_busy_, newest_activity(sample));
  if (!decision.busy && settings_.autostop > 0) {
    decision.stop_at = decision.idle_since + settings_.autostop;
    decision.stop_now = sample.now >= decision.stop_at;
  }
  // The cap ends the run whatever the machine is doing.
  if (settings_.max_running > 0) {
    decision.cap_at = settings_.running_since + settings_.max_running;
    decision.capped = sample.now >= decision.cap_at;
    decision.stop_now = decision.stop_now || decision.capped;
  }
  return decision;
}

void IdlePolicy::configure(const IdleSettings& settings, Seconds now) {
  settings_ = settings;
  last_busy_ = std::max(last_busy_, now);
}

}  // namespace gpunb::agent
