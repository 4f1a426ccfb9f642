#include "app/autostop.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "app/cost.hpp"
#include "app/machines.hpp"
#include "app/remote.hpp"
#include "app/sync.hpp"
#include "app/watch_report.hpp"
#include "base/clock.hpp"

namespace gpunb::app {
namespace {

constexpr long long kDefaultMinutes = 60;

// Tuning knobs for tests and experiments, from the laptop's environment: GPUNB_AUTOSTOP_WINDOW,
// GPUNB_AUTOSTOP_INTERVAL (durations), GPUNB_GPU_BUSY_PERCENT, GPUNB_IMDS_ENDPOINT.
void add_tuning(Context& context, nlohmann::json& request) {
  const auto& env = context.env();
  if (auto window = parse_duration_s(env.get_or("GPUNB_AUTOSTOP_WINDOW", "")))
    request["window_s"] = std::max(1LL, *window);
  if (auto interval = parse_duration_s(env.get_or("GPUNB_AUTOSTOP_INTERVAL", "")))
    request["interval_s"] = std::max(1LL, *interval);
  auto gpu = env.get_or("GPUNB_GPU_BUSY_PERCENT", "");
  if (!gpu.empty()) request["gpu_busy_percent"] = std::stod(gpu);
  auto imds = env.get_or("GPUNB_IMDS_ENDPOINT", "");
  if (!imds.empty()) request["imds_endpoint"] = imds;
}

constexpr long long kSelfServiceSeconds = 7 * 24 * 3600;

// The presigned URLs the watcher uses on its own instance (terminate, tag why it stopped).
// GPUNB_MACHINE_EC2_ENDPOINT: the EC2 endpoint as the machine reaches it, when that is not the
// laptop's (the sandbox: its bridge address).
void add_self_service(Context& context, const core::Machine& machine, nlohmann::json& request) {
  auto endpoint = context.env().get_or("GPUNB_MACHINE_EC2_ENDPOINT", "");
  auto urls = context.provider_for(machine).self_service(machine, endpoint);
  if (!urls) {
    context.log().warn(
        "the machine cannot be given its terminate URL ({}); --autodown will stop "
        "it instead",
        urls.error().message);
    return;
  }
  if (urls->terminate.empty()) return;
  request["self"] = {{"terminate", urls->terminate},
                     {"stopped_by", urls->stopped_by},
                     {"expires_s", kSelfServiceSeconds - 300}};
}

void add_max_running(Context& context, const AutostopSetting& setting, nlohmann::json& request) {
  if (setting.max_running_s) {
    request["max_running_s"] = *setting.max_running_s;
    return;
  }
  if (auto hours = context.config().max_hours)
    request["default_max_running_s"] = std::llround(*hours * 3600);
}

long long default_seconds(Context& context) {
  return 60LL * context.config().autostop_minutes.value_or(kDefaultMinutes);
}

// A shutdown from inside always stops (disk kept): --autodown terminates through its URL, only
// once the work is pulled. Resets what an older gpunb may have set.
void keep_stop_behavior(Context& context, const core::Machine& machine) {
  auto done = context.provider_for(machine).set_terminate_on_shutdown(machine, false);
  if (!done) throw core::Fatal(done.error());  // never leave "terminate" behind unknowingly
}

// The machine's cap as a "max_hours" event (seconds; 0 = off): what `ls` shows.
void record_cap(Context& context, const core::Machine& machine, const nlohmann::json& reply) {
  if (!reply.contains("settings") || !reply["settings"].is_object()) return;
  auto seconds = reply["settings"].value("max_running_s", 0LL);
  auto now = base::unix_seconds(context.clock().now());
  core::value_or_throw(
      context.ledger().add_event(machine.name, kMaxHoursEvent, std::to_string(seconds), now));
}

// The machine's setting as an "autostop" event (whole minutes, rounded up; 0 = off): what `ls`
// and the unattended-machine warning read.
void record_setting(Context& context, const core::Machine& machine, const nlohmann::json& reply) {
  if (!reply.contains("settings") || !reply["settings"].is_object()) return;
  long long seconds = reply["settings"].value("autostop_s", 0LL);
  long long minutes = seconds > 0 ? (seconds + 59) / 60 : 0;
  auto now = base::unix_seconds(context.clock().now());
  core::value_or_throw(
      context.ledger().add_event(machine.name, "autostop", std::to_string(minutes), now));
}

}  // namespace

std::optional<long long> parse_max_hours_s(std::string_view text) {
  auto hours = core::parse_max_hours(text);
  if (!hours) return std::nullopt;
  return std::llround(*hours * 3600);
}

void check_max_hours(const core::Machine& machine, const AutostopSetting& setting) {
  if (!setting.max_running_s || *setting.max_running_s == 0 || machine.provider != "ssh") return;
  throw core::Fatal({core::ErrorKind::usage,
                     "--max-hours needs a machine gpunb can stop; " + machine.name +
                         " is an SSH box gpunb does not own",
                     "leave --max-hours out for --host machines"});
}

std::string human_duration(long long seconds) {
  if (seconds <= 0) return "off";
  if (seconds < 60) return fmt::format("{}s", seconds);
  long long hours = seconds / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60;
  std::string text = hours > 0 ? fmt::format("{}h", hours) : "";
  if (minutes > 0) text += fmt::format("{}{}m", text.empty() ? "" : " ", minutes);
  if (rest > 0) text += fmt::format(" {}s", rest);
  return text;
}

nlohmann::json configure_watch(Context& context, const core::Machine& machine, remote::Agent& agent,
                               const AutostopSetting& setting) {
  check_max_hours(machine, setting);
  bool cloud = machine.provider != "ssh";
  nlohmann::json request{
      {"workspace", remote_workspace(machine)}, {"power", cloud}, {"spot", cloud && machine.spot}};
  if (cloud) {
    request["running_since"] = machine.launched_at;
    add_max_running(context, setting, request);
    add_self_service(context, machine, request);
  }
  if (setting.seconds) {
    request["autostop_s"] = *setting.seconds;
    request["autodown"] = cloud && setting.autodown && *setting.seconds > 0;
    request["terminate_on_shutdown"] = false;
    if (cloud) keep_stop_behavior(context, machine);
  } else {
    request["keep_existing"] = true;  // a machine set up before keeps its setting
    request["autostop_s"] = default_seconds(context);
  }
  add_tuning(context, request);
  auto reply = core::value_or_throw(agent.call("watch.configure", request));
  record_setting(context, machine, reply);
  if (cloud) record_cap(context, machine, reply);
  remember_watch(context, machine, reply);
  return reply;
}

nlohmann::json set_autostop(Context& context, const std::string& name,
                            const AutostopSetting& setting) {
  auto machine = require_machine(context, name);
  if (machine.state != core::MachineState::running) {
    throw core::Fatal({core::ErrorKind::refused, name + " is " + core::to_string(machine.state),
                       "start it first: `gpunb start " + name + "`"});
  }
  auto session = open_session(context, machine);
  auto agent = start_agent(context, session);
  if (!setting.seconds && !setting.max_running_s) return watch_status(context, machine, agent);
  return configure_watch(context, machine, agent, setting);
}

nlohmann::json watch_status(Context& context, const core::Machine& machine, remote::Agent& agent,
                            std::chrono::milliseconds timeout) {
  auto reply = core::value_or_throw(agent.call("watch.status", nlohmann::json::object(), timeout));
  remember_watch(context, machine, reply);
  return reply;
}

}  // namespace gpunb::app
