#include "cli/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>

namespace gpunb::cli {

std::string iso8601(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return {};
  auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

nlohmann::json to_json(const app::ListedMachine& listed) {
  const auto& m = listed.machine;
  nlohmann::json price = m.hourly_price ? nlohmann::json(*m.hourly_price) : nlohmann::json(nullptr);
  return {{"name", m.name},
          {"provider", m.provider},
          {"region", m.region},
          {"id", m.id},
          {"type", m.type},
          {"state", core::to_string(m.state)},
          {"public_ip", m.public_ip},
          {"user", m.user},
          {"launched_at", iso8601(m.launched_at)},
          {"zone", m.zone},
          {"spot", m.spot},
          {"hourly_price", price},
          {"orphan", listed.orphan}};
}

std::string table(const std::vector<app::ListedMachine>& machines) {
  using Row = std::array<std::string, 7>;
  std::vector<Row> rows{{"NAME", "STATE", "TYPE", "REGION", "ADDRESS", "ID", "LAUNCHED"}};
  for (const auto& listed : machines) {
    const auto& m = listed.machine;
    rows.push_back({m.name + (listed.orphan ? " (orphan)" : ""), core::to_string(m.state), m.type,
                    m.region, m.public_ip.empty() ? "-" : m.public_ip, m.id.empty() ? "-" : m.id,
                    iso8601(m.launched_at)});
  }
  std::array<size_t, 7> widths{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    }
    out += '\n';
  }
  return out;
}

std::string summary(const core::Machine& m) {
  auto where = m.public_ip.empty() ? std::string() : " at " + m.public_ip;
  return fmt::format("{} is {}{} ({}, {}, {})", m.name, core::to_string(m.state), where, m.type,
                     m.region, m.id);
}

}  // namespace gpunb::cli
