#include "cli/cost_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cli/format.hpp"

namespace gpunb::cli {

namespace {

nlohmann::json number_or_null(std::optional<double> value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// Cents are what people read; keep four decimals so hand-computed checks stay exact enough.
nlohmann::json money(std::optional<double> value) {
  if (!value) return nullptr;
  return std::round(*value * 1e4) / 1e4;
}

std::string price_text(const app::MachineCost& cost) {
  const auto& hourly = cost.rates.hourly;
  if (!hourly.value) return "-";
  auto text = dollars(hourly.value);
  return hourly.source == core::PriceSource::spot ? text + " spot" : text;
}

std::string state_text(const app::ListedMachine& listed) {
  auto state = std::string(core::to_string(listed.machine.state));
  if (listed.cost && listed.cost->facts.interrupted) state += " (spot interrupted)";
  auto down = listed.machine.state == core::MachineState::stopped ||
              listed.machine.state == core::MachineState::stopping;
  if (down && !listed.machine.stopped_by.empty()) state += " (" + listed.machine.stopped_by + ")";
  return state;
}

}  // namespace

std::string duration(std::int64_t seconds) {
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m", seconds / 60);
  if (seconds < 86400) return fmt::format("{}h{:02}m", seconds / 3600, seconds % 3600 / 60);
  return fmt::format("{}d{:02}h", seconds / 86400, seconds % 86400 / 3600);
}

std::string dollars(std::optional<double> value) {
  if (!value) return "-";
  if (*value != 0 && std::abs(*value) < 0.01) return fmt::format("${:.4f}", *value);
  return fmt::format("${:.2f}", *value);
}

std::string autostop_text(const app::MachineCost& cost) {
  auto text = cost.autostop_minutes == 0
                  ? std::string("off")
                  : duration(std::int64_t{cost.autostop_minutes} * 60) + " idle";
  return cost.autostop_from_ledger ? text : text + "*";
}

namespace {

// --max-hours on a running machine: ", cap 4h00m (3h59m left)".
std::string cap_text(const app::ListedMachine& listed) {
  if (!listed.max_hours_left_seconds) return "";
  return ", cap " + duration(listed.max_hours_s) + " (" + duration(*listed.max_hours_left_seconds) +
         " left)";
}

std::string idle_text(const app::ListedMachine& listed) {
  if (!listed.watch) return autostop_text(*listed.cost);  // no recent word from the machine
  if (listed.watch->autostop_s == 0) return "off";
  if (listed.watch->busy) return "busy";
  if (listed.autostop_left_seconds) return "in " + duration(*listed.autostop_left_seconds);
  return autostop_text(*listed.cost);
}

}  // namespace

std::string autostop_text(const app::ListedMachine& listed) {
  if (!listed.cost || listed.machine.state != core::MachineState::running) return "-";
  return idle_text(listed) + cap_text(listed);
}

nlohmann::json cost_json(const app::MachineCost& cost) {
  const auto& rates = cost.rates;
  return {{"gpu", core::gpu_of(cost.machine.type)},
          {"price_per_hour", number_or_null(rates.hourly.value)},
          {"price_source", core::to_string(rates.hourly.source)},
          {"disk_gb", rates.disk_gb},
          {"disk_gb_assumed", rates.disk_assumed},
          {"disk_price_per_gb_month", number_or_null(rates.gb_month.value)},
          {"running_seconds", cost.usage.running_seconds},
          {"stopped_seconds", cost.usage.stopped_seconds},
          {"spent",
           {{"compute", money(cost.spend.compute)},
            {"disk", money(cost.spend.disk)},
            {"total", money(cost.spend.known())},
            {"complete", cost.spend.complete()}}},
          {"autostop_minutes", cost.autostop_minutes},
          {"autostop_source", cost.autostop_from_ledger ? "ledger" : "default"},
          {"interrupted", cost.facts.interrupted}};
}

nlohmann::json ls_json(const app::ListedMachine& listed) {
  auto json = to_json(listed);
  json["gpu"] = core::gpu_of(listed.machine.type);
  json["uptime_seconds"] = listed.uptime_seconds;
  json["interrupted"] = false;
  json["stopped_by"] = listed.machine.stopped_by.empty()
                           ? nlohmann::json(nullptr)
                           : nlohmann::json(listed.machine.stopped_by);
  json["max_hours"] = listed.max_hours_s > 0
                          ? nlohmann::json(static_cast<double>(listed.max_hours_s) / 3600)
                          : nlohmann::json(nullptr);
  json["max_hours_left_seconds"] = listed.max_hours_left_seconds
                                       ? nlohmann::json(*listed.max_hours_left_seconds)
                                       : nlohmann::json(nullptr);
  json["autostop_left_seconds"] = listed.autostop_left_seconds
                                      ? nlohmann::json(*listed.autostop_left_seconds)
                                      : nlohmann::json(nullptr);
  json["watch"] = listed.watch ? nlohmann::json{{"busy", listed.watch->busy},
                                                {"reasons", listed.watch->reasons},
                                                {"autostop_seconds", listed.watch->autostop_s},
                                                {"seen_at", listed.watch->seen_at}}
                               : nlohmann::json(nullptr);
  if (!listed.cost) return json;
  json.update(cost_json(*listed.cost));
  json["hourly_price"] = json["price_per_hour"];
  json["price_table_date"] = std::string(core::kPriceTableDate);
  return json;
}

std::string ls_table(const std::vector<app::ListedMachine>& machines) {
  std::vector<std::vector<std::string>> rows{{"NAME", "STATE", "TYPE", "REGION", "ADDRESS", "ID",
                                              "GPU", "PRICE/H", "UPTIME", "SPENT", "AUTOSTOP"}};
  for (const auto& listed : machines) {
    const auto& m = listed.machine;
    auto gpu = core::gpu_of(m.type);
    bool running = m.state == core::MachineState::running;
    rows.push_back({m.name + (listed.orphan ? " (orphan)" : ""), state_text(listed), m.type,
                    m.region, m.public_ip.empty() ? "-" : m.public_ip, m.id.empty() ? "-" : m.id,
                    gpu.empty() ? "-" : gpu, listed.cost ? price_text(*listed.cost) : "-",
                    running ? duration(listed.uptime_seconds) : "-",
                    listed.cost ? dollars(listed.cost->spend.known()) : "-",
                    autostop_text(listed)});
  }
  return columns(rows);
}

nlohmann::json report_json(const app::CostReport& report) {
  auto machines = nlohmann::json::array();
  for (const auto& cost : report.machines) {
    auto json = cost_json(cost);
    json["name"] = cost.machine.name;
    json["id"] = cost.machine.id;  // a name reused after `down` has a row per machine
    json["type"] = cost.machine.type;
    json["region"] = cost.machine.region;
    json["state"] = core::to_string(cost.machine.state);
    json["spot"] = cost.machine.spot;
    machines.push_back(std::move(json));
  }
  return {{"since", iso8601(report.since)},
          {"until", iso8601(report.now)},
          {"price_table_date", std::string(core::kPriceTableDate)},
          {"hours_per_month", core::kHoursPerMonth},
          {"machines", machines},
          {"total", money(report.total)},
          {"complete", report.complete}};
}

std::string report_table(const app::CostReport& report) {
  std::vector<std::vector<std::string>> rows{{"NAME", "TYPE", "REGION", "STATE", "RUNNING",
                                              "PRICE/H", "COMPUTE", "STOPPED", "DISK", "DISK $",
                                              "TOTAL"}};
  for (const auto& cost : report.machines) {
    const auto& m = cost.machine;
    auto disk = fmt::format("{} GB{} at {}/GB-mo", cost.rates.disk_gb,
                            cost.rates.disk_assumed ? "*" : "", dollars(cost.rates.gb_month.value));
    rows.push_back({m.name, m.type, m.region, core::to_string(m.state),
                    duration(cost.usage.running_seconds), price_text(cost),
                    dollars(cost.spend.compute), duration(cost.usage.stopped_seconds), disk,
                    dollars(cost.spend.disk), dollars(cost.spend.known())});
  }
  auto out = columns(rows);
  out += fmt::format("Total{}: {}{}\n", report.since > 0 ? " since " + iso8601(report.since) : "",
                     dollars(report.total), report.complete ? "" : " (some prices unknown: see -)");
  out += fmt::format(
      "On-demand prices from gpunb's table of {} unless set in config.toml [prices]; disks "
      "are billed while the machine exists, running or stopped (a month = {} h).\n",
      core::kPriceTableDate, core::kHoursPerMonth);
  bool assumed = std::any_of(report.machines.begin(), report.machines.end(),
                             [](const auto& cost) { return cost.rates.disk_assumed; });
  if (assumed) out += "* disk size not in the ledger: the configured default is assumed\n";
  return out;
}

std::string columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i)
      out += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    out += '\n';
  }
  return out;
}

}  // namespace gpunb::cli
