#include "agent/watch/loop.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "agent/host/files.hpp"
#include "agent/watch/watch.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {
namespace {

std::string when(Seconds t) {
  std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

WatchSettings off() {
  WatchSettings settings;
  settings.idle.autostop = 0;
  return settings;
}

}  // namespace

WatchLoop::WatchLoop(Context& context, WatchFiles files, Sensors& sensors, Power& power,
                     WatchClock& clock)
    : context_(context),
      files_(std::move(files)),
      sensors_(sensors),
      power_(power),
      clock_(clock),
      policy_(off().idle, clock.seconds()) {}

void WatchLoop::reload(Seconds now) {
  std::error_code error;
  auto mtime = std::filesystem::last_write_time(files_.settings, error);
  if (error || mtime == settings_mtime_) return;
  settings_mtime_ = mtime;
  settings_ = read_settings(files_).value_or(off());
  settings_.idle.running_since = std::max(settings_.idle.running_since, sensors_.boot_time());
  policy_.configure(settings_.idle, now);  // never stops at once: the idle clock restarts
  sensors_.configure(settings_);
  spot_noticed_ = false;
  context_.log->write(
      "watch: autostop " +
      (settings_.idle.autostop > 0 ? std::to_string(settings_.idle.autostop) + " s"
                                   : std::string("off")) +
      (settings_.idle.autodown ? " (autodown)" : "") +
      (settings_.idle.max_running > 0
           ? ", max-hours until " + when(settings_.idle.running_since + settings_.idle.max_running)
           : std::string()) +
      ", window " + std::to_string(settings_.idle.window) + " s, every " +
      std::to_string(settings_.idle.interval) + " s");
}

IdleSample WatchLoop::sample(Seconds now, JupyterActivity& jupyter) {
  jupyter = sensors_.jupyter();
  IdleSample s;
  s.now = now;
  s.kernel_executing = jupyter.executing;
  s.last_kernel_activity = jupyter.last_activity;
  s.gpu_percent = sensors_.gpu_percent();
  s.transfer_running = sensors_.transfer_running();
  s.last_ssh_traffic = sensors_.last_ssh_traffic(now, jupyter.ports);
  return s;
}

void WatchLoop::note(const std::string& text, Seconds now) {
  if (text != note_ || now - noted_at_ >= 60) context_.log->write("watch: " + text);
  note_ = text;
  noted_at_ = now;
}

void WatchLoop::report(const IdleDecision& decision, Seconds now) {
  // The first sample, then every change of state or of the reasons, goes to the log.
  std::string status = decision.busy ? "busy (" + base::join(decision.reasons, ", ") + ")"
                                     : "idle since " + when(decision.idle_since);
  if (status != logged_) context_.log->write("watch: " + status);
  logged_ = status;
  WatchState state{::getpid(),
                   self_exe().string(),
                   now,
                   decision.busy,
                   decision.reasons,
                   decision.idle_since,
                   decision.busy ? 0 : decision.stop_at,
                   decision.cap_at,
                   note_};
  (void)write_state(files_, state);
}

std::string WatchLoop::reason_of(const IdleDecision& decision) const {
  if (decision.capped)
    return "running since " + when(settings_.idle.running_since) + " (max-hours " +
           std::to_string(settings_.idle.max_running) + " s)";
  return "idle since " + when(decision.idle_since) + " (autostop " +
         std::to_string(settings_.idle.autostop) + " s)";
}

// --autodown, due and pulled: the instance terminates itself through its presigned URL. False
// (and a note) when that cannot be: the machine is then stopped instead, its disk kept.
bool WatchLoop::terminate_self(const std::string& why, Seconds now) {
  auto done = power_.terminate(now);
  if (done) {
    context_.log->write("watch: " + why + ": autodown: the workspace is pulled; terminating now");
    return true;
  }
  note(why + ": autodown cannot terminate: " + done.error().message + "; stopping instead", now);
  return false;
}

// Tags the instance gpunb:stopped-by=WHAT (so `ls` says why), then powers it off.
void WatchLoop::stop_self(const std::string& why, const std::string& what, Seconds now) {
  if (auto tagged = power_.tag_stopped_by(what); !tagged)
    context_.log->write("watch: cannot tag the machine stopped-by " + what + ": " +
                        tagged.error().message);
  context_.log->write("watch: " + why + ": stopping now" +
                      (what == "autodown" ? " (autodown: kept for the next pull)" : ""));
  auto done = power_.power_off();
  if (!done) {
    retry_at_ = now + 60;
    return note(why + ": " + done.error().message, now);
  }
  stopping_ = true;
  context_.log->write("watch: " + *done + " accepted");
}

void WatchLoop::act(const IdleDecision& decision, Seconds now) {
  if (!decision.stop_now || stopping_ || now < retry_at_) return;
  auto reason = reason_of(decision);
  if (!settings_.power) return note(reason + ": not gpunb's machine to shut down", now);
  // An older laptop may have left InstanceInitiatedShutdownBehavior=terminate: then a power-off
  // terminates, and unpulled work forbids it.
  if (settings_.terminate_on_shutdown) {
    if (auto change = sensors_.unpulled_change(settings_.workspace))
      return note(reason + ": autodown refused to terminate: " + *change, now);
    return stop_self(reason, "", now);
  }
  if (decision.capped) return stop_self(reason, "max-hours", now);
  if (!settings_.idle.autodown) return stop_self(reason, "", now);
  if (auto change = sensors_.unpulled_change(settings_.workspace)) {
    note(reason + ": autodown: " + *change + "; stopping (disk kept) until a pull", now);
    return stop_self(reason, "autodown", now);
  }
  if (terminate_self(reason, now)) {
    stopping_ = true;
    return;
  }
  stop_self(reason, "autodown", now);
}

void WatchLoop::watch_spot(Seconds now, const JupyterActivity& jupyter) {
  if (!settings_.spot || spot_noticed_) return;
  auto notice = sensors_.spot_notice(now);
  if (!notice) return;
  spot_noticed_ = true;
  context_.log->write("watch: spot interruption notice: " + notice->dump());
  auto saved = sensors_.checkpoint(jupyter.notebooks);
  nlohmann::json record{{"notice", *notice}, {"noticed_at", when(now)}, {"saved", saved}};
  (void)base::write_atomic(files_.spot, record.dump() + "\n", 0600);
  context_.log->write("watch: checkpointed " + std::to_string(saved.size()) + " of " +
                      std::to_string(jupyter.notebooks.size()) + " open notebooks");
}

nlohmann::json WatchLoop::sample_once() {
  Seconds now = clock_.seconds();
  reload(now);
  JupyterActivity jupyter;
  auto s = sample(now, jupyter);
  auto decision = policy_.observe(s);
  auto optional = [](const auto& value) {
    return value ? nlohmann::json(*value) : nlohmann::json();
  };
  return {{"now", now},
          {"kernel_executing", s.kernel_executing},
          {"last_kernel_activity", optional(s.last_kernel_activity)},
          {"gpu_percent", optional(s.gpu_percent)},
          {"transfer_running", s.transfer_running},
          {"last_ssh_traffic", optional(s.last_ssh_traffic)},
          {"busy", decision.busy},
          {"reasons", decision.reasons},
          {"gpu_busy_percent", settings_.idle.gpu_busy_percent}};
}

int WatchLoop::run() {
  context_.log->write("watch: started (pid " + std::to_string(::getpid()) + ")");
  for (;;) {
    Seconds now = clock_.seconds();
    reload(now);
    JupyterActivity jupyter;
    auto decision = policy_.observe(sample(now, jupyter));
    watch_spot(now, jupyter);
    act(decision, now);
    report(decision, now);
    if (int sig = clock_.wait(settings_.idle.interval); sig > 0) {
      context_.log->write("watch: ended by signal " + std::to_string(sig));
      return 0;
    }
  }
}

}  // namespace gpunb::agent
