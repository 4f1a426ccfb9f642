// Human and JSON renderings of machines.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/list.hpp"
#include "core/machine.hpp"

namespace gpunb::cli {

std::string iso8601(std::int64_t unix_seconds);  // "2026-11-26T23:25:42Z"; "" for 0
nlohmann::json to_json(const app::ListedMachine& listed);
std::string table(const std::vector<app::ListedMachine>& machines);
std::string summary(
    const core::Machine& machine);  // one line: "NAME running at 1.2.3.4 (g5.xlarge)"

}  // namespace gpunb::cli
