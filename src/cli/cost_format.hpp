// Human and JSON renderings of what machines cost (`gpunb ls`, `gpunb cost`).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/cost_report.hpp"
#include "app/list.hpp"

namespace gpunb::cli {

std::string duration(std::int64_t seconds);        // "45s", "12m", "3h05m", "2d04h"
std::string dollars(std::optional<double> value);  // "$1.23", "$0.0042", "-" for unknown
// The setting: "60m idle", "off", "60m idle*" (the configured default).
std::string autostop_text(const app::MachineCost& cost);
// For `ls`: the time left ("in 12m") or "busy" when the machine's watcher told us lately,
// else the setting; "-" unless running.
std::string autostop_text(const app::ListedMachine& listed);

nlohmann::json cost_json(const app::MachineCost& cost);  // prices, usage, spend, autostop
nlohmann::json ls_json(const app::ListedMachine& listed);
std::string ls_table(const std::vector<app::ListedMachine>& machines);

nlohmann::json report_json(const app::CostReport& report);
std::string report_table(const app::CostReport& report);

// Left-aligned columns, two spaces apart; the last column is not padded.
std::string columns(const std::vector<std::vector<std::string>>& rows);

}  // namespace gpunb::cli
