#include "agent/watch/loop.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <sstream>

#include "agent/host/files.hpp"
#include "agent/host/strings.hpp"
#include "agent/host/transfer_mark.hpp"
#include "agent/watch/power.hpp"
#include "agent/watch/self.hpp"
#include "agent/watch/watch.hpp"

namespace gpunb::agent {
namespace {

Seconds now_s() {
  return static_cast<Seconds>(std::time(nullptr));
}

std::string when(Seconds t) {
  std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// When this machine booted: PID 1's start (/proc/1/stat, in clock ticks after the kernel's
// btime), so neither a restart of the agent nor a new setting restarts the cap's count.
Seconds boot_time() {
  auto stat = read_text("/proc/stat");
  auto at = stat ? stat->find("\nbtime ") : std::string::npos;
  if (at == std::string::npos) return 0;
  Seconds btime = std::atoll(stat->c_str() + at + 7);
  auto init = read_text("/proc/1/stat");
  auto close = init ? init->rfind(')') : std::string::npos;
  if (close == std::string::npos) return btime;
  std::istringstream fields(init->substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {  // field 22: starttime
    if (i == 22) return btime + std::atoll(field.c_str()) / std::max(1L, ::sysconf(_SC_CLK_TCK));
  }
  return btime;
}

WatchSettings off() {
  WatchSettings settings;
  settings.idle.autostop = 0;
  return settings;
}

}  // namespace

WatchLoop::WatchLoop(Context& context, WatchFiles files)
    : context_(context), files_(std::move(files)), policy_(off().idle, now_s()) {}

void WatchLoop::reload(Seconds now) {
  std::error_code error;
  auto mtime = std::filesystem::last_write_time(files_.settings, error);
  if (error || mtime == settings_mtime_) return;
  settings_mtime_ = mtime;
  settings_ = read_settings(files_).value_or(off());
  settings_.idle.running_since = std::max(settings_.idle.running_since, boot_time());
  policy_.configure(settings_.idle, now);  // never stops at once: the idle clock restarts
  spot_.reset();
  if (settings_.spot) spot_.emplace(imds_endpoint(settings_.imds_endpoint));
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
  jupyter = sample_jupyter(context_.state);
  IdleSample s;
  s.now = now;
  s.kernel_executing = jupyter.executing;
  s.last_kernel_activity = jupyter.last_activity;
  s.gpu_percent = sample_gpu();
  s.transfer_running = running_transfers(context_.state) > 0;
  std::set<int> excluded = jupyter.ports;
  excluded.merge(kernel_ports());
  if (auto imds = parse_endpoint(imds_endpoint(settings_.imds_endpoint)))
    excluded.insert(imds->port);
  if (auto sockets = tcp_sockets(); sockets && tcp_.moved(*sockets, excluded)) last_forward_ = now;
  s.last_ssh_traffic = sample_ptys();
  if (last_forward_ && (!s.last_ssh_traffic || *last_forward_ > *s.last_ssh_traffic))
    s.last_ssh_traffic = last_forward_;
  return s;
}

void WatchLoop::note(const std::string& text, Seconds now) {
  if (text != note_ || now - noted_at_ >= 60) context_.log->write("watch: " + text);
  note_ = text;
  noted_at_ = now;
}

void WatchLoop::report(const IdleDecision& decision, Seconds now) {
  // The first sample, then every change of state or of the reasons, goes to the log.
  std::string status = decision.busy ? "busy (" + join(decision.reasons, ", ") + ")"
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
  auto urls = read_self_urls(files_.self);
  std::string cannot;
  if (!urls || urls->terminate.empty())
    cannot = "no terminate URL (the laptop gave none)";
  else if (urls->expires_at > 0 && now >= urls->expires_at)
    cannot = "the terminate URL expired";
  else if (auto done = call_self_url(urls->terminate, "TerminateInstances"); !done)
    cannot = done.error().message;
  if (cannot.empty()) {
    context_.log->write("watch: " + why + ": autodown: the workspace is pulled; terminating now");
    return true;
  }
  note(why + ": autodown cannot terminate: " + cannot + "; stopping instead", now);
  return false;
}

// Tags the instance gpunb:stopped-by=WHAT (so `ls` says why), then powers it off.
void WatchLoop::stop_self(const std::string& why, const std::string& what, Seconds now) {
  auto urls = read_self_urls(files_.self);
  auto url = urls ? urls->stopped_by[what] : std::string();
  if (!url.empty()) {
    if (auto tagged = call_self_url(url, "CreateTags"); !tagged)
      context_.log->write("watch: cannot tag the machine stopped-by " + what + ": " +
                          tagged.error().message);
  }
  context_.log->write("watch: " + why + ": stopping now" +
                      (what == "autodown" ? " (autodown: kept for the next pull)" : ""));
  auto done = power_off();
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
    if (auto change = unpulled_change(context_.state, settings_.workspace))
      return note(reason + ": autodown refused to terminate: " + *change, now);
    return stop_self(reason, "", now);
  }
  if (decision.capped) return stop_self(reason, "max-hours", now);
  if (!settings_.idle.autodown) return stop_self(reason, "", now);
  if (auto change = unpulled_change(context_.state, settings_.workspace)) {
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
  if (!spot_) return;
  auto notice = spot_->poll(now);
  if (!notice) return;
  context_.log->write("watch: spot interruption notice: " + notice->dump());
  auto saved = checkpoint_notebooks(jupyter.notebooks);
  nlohmann::json record{{"notice", *notice}, {"noticed_at", when(now)}, {"saved", saved}};
  (void)write_atomic(files_.spot, record.dump() + "\n", 0600);
  context_.log->write("watch: checkpointed " + std::to_string(saved.size()) + " of " +
                      std::to_string(jupyter.notebooks.size()) + " open notebooks");
}

nlohmann::json WatchLoop::sample_once() {
  Seconds now = now_s();
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

int WatchLoop::run(const sigset_t& ending) {
  context_.log->write("watch: started (pid " + std::to_string(::getpid()) + ")");
  for (;;) {
    Seconds now = now_s();
    reload(now);
    JupyterActivity jupyter;
    auto decision = policy_.observe(sample(now, jupyter));
    watch_spot(now, jupyter);
    act(decision, now);
    report(decision, now);
    timespec pause{static_cast<time_t>(settings_.idle.interval), 0};
    int sig = ::sigtimedwait(&ending, nullptr, &pause);
    if (sig > 0) {
      context_.log->write("watch: ended by signal " + std::to_string(sig));
      return 0;
    }
  }
}

}  // namespace gpunb::agent
