#include "app/watch_report.hpp"

#include <algorithm>
#include <system_error>

#include "base/clock.hpp"
#include "base/files.hpp"
#include "util/fs.hpp"

namespace gpunb::app {

namespace {

std::filesystem::path report_path(Context& context, const std::string& name) {
  return context.state_dir() / "watch" / (name + ".json");
}

nlohmann::json to_json(const WatchReport& report) {
  return {{"id", report.id},
          {"seen_at", report.seen_at},
          {"busy", report.busy},
          {"reasons", report.reasons},
          {"stop_in", report.stop_in ? nlohmann::json(*report.stop_in) : nlohmann::json(nullptr)},
          {"autostop_s", report.autostop_s},
          {"autodown", report.autodown}};
}

std::optional<WatchReport> from_json(const nlohmann::json& json) {
  try {
    WatchReport report;
    report.id = json.at("id").get<std::string>();
    report.seen_at = json.at("seen_at").get<std::int64_t>();
    report.busy = json.at("busy").get<bool>();
    report.reasons = json.at("reasons").get<std::vector<std::string>>();
    if (!json.at("stop_in").is_null()) report.stop_in = json.at("stop_in").get<std::int64_t>();
    report.autostop_s = json.at("autostop_s").get<std::int64_t>();
    report.autodown = json.at("autodown").get<bool>();
    return report;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::int64_t> WatchReport::left_at(std::int64_t now) const {
  if (!stop_in) return std::nullopt;
  return std::max<std::int64_t>(0, *stop_in - (now - seen_at));
}

bool sample_predates_setting(const nlohmann::json& reply) {
  const auto state = reply.value("state", nlohmann::json());
  const auto settings = reply.value("settings", nlohmann::json());
  if (!state.is_object() || !settings.is_object()) return false;
  auto configured_at = settings.value("configured_at", std::int64_t{0});
  return configured_at > 0 && configured_at >= state.value("now", std::int64_t{0});
}

std::optional<WatchReport> report_of(const nlohmann::json& reply, const std::string& id,
                                     std::int64_t seen_at) {
  const auto state = reply.value("state", nlohmann::json());
  const auto settings = reply.value("settings", nlohmann::json());
  if (!reply.value("running", false) || !state.is_object() || !settings.is_object())
    return std::nullopt;
  try {
    if (sample_predates_setting(reply)) return std::nullopt;
    WatchReport report;
    report.id = id;
    report.seen_at = seen_at;
    report.busy = state.value("busy", false);
    report.reasons = state.value("reasons", std::vector<std::string>{});
    report.autostop_s = settings.value("autostop_s", std::int64_t{0});
    report.autodown = settings.value("autodown", false);
    auto stop_at = state.value("stop_at", std::int64_t{0});
    if (!report.busy && report.autostop_s > 0 && stop_at > 0) {
      // Both times are the machine's clock: the difference does not depend on the laptop's.
      report.stop_in = std::max<std::int64_t>(0, stop_at - reply.value("now", stop_at));
    }
    return report;
  } catch (const nlohmann::json::exception&) {  // an agent of another version: no report
    return std::nullopt;
  }
}

void remember_watch(Context& context, const core::Machine& machine, const nlohmann::json& reply) {
  auto path = report_path(context, machine.name);
  auto report = report_of(reply, machine.id, base::unix_seconds(context.clock().now()));
  if (!report) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return;
  }
  util::ensure_private_dir(path.parent_path());
  core::value_or_throw(base::write_atomic(path, to_json(*report).dump() + "\n", 0600));
}

std::optional<WatchReport> recall_watch(Context& context, const core::Machine& machine,
                                        std::int64_t now) {
  auto text = base::read_file(report_path(context, machine.name));
  if (!text) return std::nullopt;
  auto report = from_json(nlohmann::json::parse(*text, nullptr, false));
  if (!report || report->id != machine.id || now - report->seen_at > kWatchReportMaxAge ||
      report->seen_at > now + kWatchReportMaxAge)
    return std::nullopt;
  return report;
}

}  // namespace gpunb::app
