// `gpunb ls`: the ledger reconciled with the cloud, plus gpunb machines the ledger lacks.
#pragma once

#include <optional>
#include <vector>

#include "app/context.hpp"
#include "app/cost_report.hpp"
#include "app/watch_report.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

struct ListedMachine {
  core::Machine machine;
  bool orphan = false;  // tagged by gpunb but not in this ledger
  // The ledger's machines on EC2: price, spend since launch, autostop, interruption.
  std::optional<MachineCost> cost;
  std::int64_t uptime_seconds = 0;  // of the current run; 0 unless running
  // What its idle watcher last told this laptop, when recent (running machines only).
  std::optional<WatchReport> watch;
  std::optional<std::int64_t> autostop_left_seconds;   // idle and counting down, from `watch`
  std::int64_t max_hours_s = 0;                        // --max-hours, from the ledger; 0: none
  std::optional<std::int64_t> max_hours_left_seconds;  // running and capped: until the cap stops it
};

struct ListRequest {
  bool all_regions = false;  // every region the account has, not only the ledger's
  bool include_terminated = false;
};

std::vector<ListedMachine> list(Context& context, const ListRequest& request);

}  // namespace gpunb::app
