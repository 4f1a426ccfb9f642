// What each machine's workspace looked like at its last sync, per file: the base a sync compares
// both sides against to tell who changed what.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "ledger/sqlite.hpp"

namespace gpunb::ledger {

// An mtime that no file has: the side then always fails the quick check and is compared by hash.
inline constexpr std::int64_t kUnknownMtime = std::numeric_limits<std::int64_t>::min();

struct SyncRecord {
  std::string path;  // relative to the workspace root, '/'-separated
  std::uint64_t size = 0;
  std::int64_t local_mtime_ns = 0;
  std::int64_t remote_mtime_ns = 0;
  std::string sha256;          // lowercase hex; empty when unknown
  std::int64_t synced_at = 0;  // unix seconds

  bool operator==(const SyncRecord&) const = default;
};

// The sync_files table, over the ledger's database (Ledger::database()).
class SyncState {
 public:
  explicit SyncState(const Database& db) : db_(db) {}

  core::Result<std::vector<SyncRecord>> load(const std::string& machine) const;  // by path
  // One transaction: each of PUT replaces its path's record, each path in ERASE goes.
  core::Status apply(const std::string& machine, const std::vector<SyncRecord>& put,
                     const std::vector<std::string>& erase) const;
  // Forgets the machine's records (it was terminated, or its workspace was reset).
  core::Status drop(const std::string& machine) const;

 private:
  core::Status put_one(const std::string& machine, const SyncRecord& record) const;
  core::Status erase_one(const std::string& machine, const std::string& path) const;

  const Database& db_;
};

}  // namespace gpunb::ledger
