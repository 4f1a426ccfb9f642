// What a sync did (or, dry, would do): counts and bytes per action, a few human lines naming the
// files that need attention, the same as JSON, and the run's outcome (conflicts exit 9).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "sync/plan.hpp"

namespace gpunb::sync {

struct Tally {
  std::size_t files = 0;
  std::uint64_t bytes = 0;
};

inline constexpr std::size_t kActionKinds = static_cast<std::size_t>(ActionKind::skip_symlink) + 1;

struct Summary {
  std::array<Tally, kActionKinds> tallies{};
  std::size_t unchanged = 0;
  const Tally& operator[](ActionKind kind) const { return tallies.at(static_cast<size_t>(kind)); }
};

Summary summarize(const Plan& plan);

// "1.5 MiB"
std::string human_bytes(std::uint64_t bytes);

// A first line of counts, then one line per kind of thing to look at, naming the files.
std::string human_report(const Plan& plan, bool dry_run = false);
nlohmann::json json_report(const Plan& plan);

// The run's result once everything else is done: a conflict error while any conflict remains.
core::Status outcome(const Plan& plan);

}  // namespace gpunb::sync
