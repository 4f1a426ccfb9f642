#include "app/autostop.hpp"

#include <fmt/format.h>

#include <cctype>

#include "app/machines.hpp"
#include "app/remote.hpp"
#include "app/sync.hpp"
#include "app/watch_report.hpp"
#include "util/clock.hpp"

namespace gpunb::app {
namespace {

constexpr long long kMaxSeconds = 30LL * 24 * 3600;
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

long long default_seconds(Context& context) {
  return 60LL * context.config().autostop_minutes.value_or(kDefaultMinutes);
}

// --autodown needs EC2 to terminate on an instance-initiated shutdown; anything else stops.
bool set_shutdown_behavior(Context& context, const core::Machine& machine, bool terminate) {
  auto done = context.provider_for(machine).set_terminate_on_shutdown(machine, terminate);
  if (done) return terminate;
  if (!terminate) throw core::Fatal(done.error());  // never leave "terminate" behind unknowingly
  context.log().warn("--autodown is not possible here ({}); the machine will be stopped instead",
                     done.error().message);
  return false;
}

// The machine's setting as an "autostop" event (whole minutes, rounded up; 0 = off): what `ls`
// and the unattended-machine warning read.
void record_setting(Context& context, const core::Machine& machine, const nlohmann::json& reply) {
  if (!reply.contains("settings") || !reply["settings"].is_object()) return;
  long long seconds = reply["settings"].value("autostop_s", 0LL);
  long long minutes = seconds > 0 ? (seconds + 59) / 60 : 0;
  auto now = util::unix_seconds(context.clock().now());
  core::value_or_throw(
      context.ledger().add_event(machine.name, "autostop", std::to_string(minutes), now));
}

}  // namespace

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
  bool cloud = machine.provider != "ssh";
  nlohmann::json request{
      {"workspace", remote_workspace(machine)}, {"power", cloud}, {"spot", cloud && machine.spot}};
  if (setting.seconds) {
    bool autodown = setting.autodown && *setting.seconds > 0;
    request["autostop_s"] = *setting.seconds;
    request["autodown"] = autodown;
    request["terminate_on_shutdown"] = cloud && set_shutdown_behavior(context, machine, autodown);
  } else {
    request["keep_existing"] = true;  // a machine set up before keeps its setting
    request["autostop_s"] = default_seconds(context);
  }
  add_tuning(context, request);
  auto reply = core::value_or_throw(agent.call("watch.configure", request));
  record_setting(context, machine, reply);
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
  if (!setting.seconds) return watch_status(context, machine, agent);
  return configure_watch(context, machine, agent, setting);
}

nlohmann::json watch_status(Context& context, const core::Machine& machine, remote::Agent& agent,
                            std::chrono::milliseconds timeout) {
  auto reply = core::value_or_throw(agent.call("watch.status", nlohmann::json::object(), timeout));
  remember_watch(context, machine, reply);
  return reply;
}

}  // namespace gpunb::app
