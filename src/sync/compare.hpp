// Internal to the planner: the three listings joined by path, and each side compared with the base.
#pragma once

#include <map>
#include <string>

#include "sync/plan.hpp"

namespace gpunb::sync {

struct Triple {
  const Entry* local = nullptr;
  const Entry* remote = nullptr;
  const ledger::SyncRecord* base = nullptr;
};

// By path; paths IGNORE excludes are left out. Pointers into INPUT.
std::map<std::string, Triple> join(const SyncInput& input, const Ignore& ignore);

// The quick check: size or this side's mtime differs from the base's.
bool quick_differs(const Entry& entry, const ledger::SyncRecord& base, Side side);

struct SideState {
  Change change = Change::absent;
  bool touched = false;  // unchanged by content, but the quick check failed: refresh the base
};
SideState classify(const Entry* entry, const ledger::SyncRecord* base, Side side);

// Both hashes known and equal (sizes too).
bool same_content(const Entry& a, const Entry& b);

}  // namespace gpunb::sync
