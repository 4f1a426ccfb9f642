// `gpunb autostop NAME [30m|2h|off] [--autodown] [--json]`: the machine's idle stop.
#include <fmt/format.h>

#include <memory>

#include "app/autostop.hpp"
#include "app/watch_report.hpp"
#include "cli/commands.hpp"

namespace gpunb::cli {

namespace {

struct AutostopOptions {
  std::string name;
  std::string duration;  // empty: report only
  bool autodown = false;
  std::string max_hours;  // empty: unchanged
  bool json = false;
};

std::string cap_text(const nlohmann::json& settings) {
  long long cap = settings.value("max_running_s", 0LL);
  return cap > 0 ? "; max-hours " + app::human_duration(cap) + " running, then stop" : "";
}

std::string setting_text(const nlohmann::json& settings) {
  if (!settings.is_object()) return "not set";
  long long seconds = settings.value("autostop_s", 0LL);
  if (seconds <= 0) return "off" + cap_text(settings);
  return app::human_duration(seconds) +
         (settings.value("autodown", false)
              ? " idle, then terminate (once pulled; else stop, disk kept)"
              : " idle, then stop") +
         cap_text(settings);
}

std::string state_text(const nlohmann::json& reply) {
  const auto& state = reply["state"];
  if (!reply.value("running", false) || !state.is_object()) return "the watcher is not running";
  if (app::sample_predates_setting(reply)) return "the idle clock restarts now";
  if (state.value("busy", false)) {
    std::string reasons;
    for (const auto& reason : state["reasons"])
      reasons += (reasons.empty() ? "" : ", ") + reason.get<std::string>();
    return "busy (" + reasons + ")";
  }
  long long stop_at = state.value("stop_at", 0LL), now = reply.value("now", 0LL);
  if (stop_at <= 0) return "idle";
  return "idle; stops in " + app::human_duration(std::max(1LL, stop_at - now));
}

int run_autostop(app::Context& context, const AutostopOptions& options) {
  app::AutostopSetting setting{std::nullopt, options.autodown, std::nullopt};
  if (!options.duration.empty()) setting.seconds = app::parse_duration_s(options.duration);
  if (!options.max_hours.empty()) setting.max_running_s = app::parse_max_hours_s(options.max_hours);
  auto reply = app::set_autostop(context, options.name, setting);
  if (options.json) {
    fmt::print(context.output().out, "{}\n", reply.dump());
    return 0;
  }
  fmt::print(context.output().out, "{}: autostop {}; {}\n", options.name,
             setting_text(reply["settings"]), state_text(reply));
  if (reply.contains("armed") && reply["armed"] == "none")
    context.log().warn("the watcher could not be set to start at boot on {}", options.name);
  std::string note = reply["state"].is_object() ? reply["state"].value("note", "") : "";
  if (!note.empty()) context.log().warn("{}", note);
  return 0;
}

}  // namespace

void add_autostop(CLI::App& app, CommandTable& table) {
  auto options = std::make_shared<AutostopOptions>();
  auto* command = table.add(
      app, "autostop",
      "Stop the machine after it has been idle this long (30m, 2h, off); no duration: show it",
      [=](app::Context& context) { return run_autostop(context, *options); });
  command->add_option("NAME", options->name, "Machine name")->required();
  command->add_option("DURATION", options->duration, "e.g. 30m, 2h, off (default: show)")
      ->check([](const std::string& text) {
        return app::parse_duration_s(text) ? std::string() : "a duration such as 30m, 2h or off";
      });
  command->add_flag("--autodown", options->autodown,
                    "Terminate instead of stop, only once the workspace is pulled");
  command
      ->add_option("--max-hours", options->max_hours,
                   "Also stop it after this many hours running, busy or not (0.01-720, off)")
      ->check([](const std::string& text) {
        return app::parse_max_hours_s(text) ? std::string() : "hours from 0.01 to 720, or off";
      });
  command->add_flag("--json", options->json, "The machine's watch settings and state as JSON");
}

}  // namespace gpunb::cli
