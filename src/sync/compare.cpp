#include "sync/compare.hpp"

namespace gpunb::sync {

std::map<std::string, Triple> join(const SyncInput& input, const Ignore& ignore) {
  std::map<std::string, Triple> joined;
  auto keep = [&](const std::string& path) { return !ignore.excludes(path, false); };
  for (const auto& entry : input.local) {
    if (keep(entry.path)) joined[entry.path].local = &entry;
  }
  for (const auto& entry : input.remote) {
    if (keep(entry.path)) joined[entry.path].remote = &entry;
  }
  for (const auto& record : input.base) {
    if (keep(record.path)) joined[record.path].base = &record;
  }
  return joined;
}

bool quick_differs(const Entry& entry, const ledger::SyncRecord& base, Side side) {
  auto mtime = side == Side::local ? base.local_mtime_ns : base.remote_mtime_ns;
  return entry.size != base.size || entry.mtime_ns != mtime;
}

SideState classify(const Entry* entry, const ledger::SyncRecord* base, Side side) {
  if (base == nullptr) return {entry != nullptr ? Change::created : Change::absent, false};
  if (entry == nullptr) return {Change::deleted, false};
  if (!quick_differs(*entry, *base, side)) return {Change::none, false};
  bool same_hash = entry->sha256 && !base->sha256.empty() && *entry->sha256 == base->sha256 &&
                   entry->size == base->size;
  if (same_hash) return {Change::none, true};
  return {Change::modified, false};
}

bool same_content(const Entry& a, const Entry& b) {
  return a.size == b.size && a.sha256 && b.sha256 && *a.sha256 == *b.sha256;
}

}  // namespace gpunb::sync
