// `gpunb cost` and the cost columns of `gpunb ls`: the ledger's history priced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/context.hpp"
#include "app/cost.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

struct MachineCost {
  core::Machine machine;
  Facts facts;
  Rates rates;
  Usage usage;
  Spend spend;
  int autostop_minutes = 60;          // 0: off
  bool autostop_from_ledger = false;  // false: the configured default (the ledger has none)
};

// Prices and facts of `machine` from the config, the shipped table and the ledger's events. A spot
// machine whose price the ledger lacks gets it from EC2 once (then kept as an event).
MachineCost machine_cost(Context& context, const core::Machine& machine, std::int64_t since,
                         std::int64_t now);

struct CostReport {
  std::int64_t since = 0;
  std::int64_t now = 0;
  std::vector<MachineCost> machines;  // every EC2 machine of the ledger, terminated ones included
  double total = 0;                   // of the known figures
  bool complete = true;               // every price was known
};

CostReport cost_report(Context& context, std::int64_t since);

// "2024-09-01" (midnight UTC) or "2024-09-01T12:00:00Z"; nullopt when malformed.
std::optional<std::int64_t> parse_date(std::string_view text);

}  // namespace gpunb::app
