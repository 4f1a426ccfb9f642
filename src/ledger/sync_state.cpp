#include "ledger/sync_state.hpp"

#include "base/expected.hpp"

namespace gpunb::ledger {

namespace {

SyncRecord read_record(const Statement& row) {
  SyncRecord record;
  record.path = row.text(0);
  record.size = static_cast<std::uint64_t>(row.integer(1));
  record.local_mtime_ns = row.integer(2);
  record.remote_mtime_ns = row.integer(3);
  record.sha256 = row.text(4);
  record.synced_at = row.integer(5);
  return record;
}

}  // namespace

core::Result<std::vector<SyncRecord>> SyncState::load(const std::string& machine) const {
  auto stmt = db_.prepare(
      "SELECT path, size, local_mtime_ns, remote_mtime_ns, sha256, synced_at FROM sync_files "
      "WHERE machine = ?1 ORDER BY path");
  TRY(stmt);
  stmt->bind(1, machine);
  std::vector<SyncRecord> records;
  while (true) {
    auto row = stmt->step();
    TRY(row);
    if (!*row) return records;
    records.push_back(read_record(*stmt));
  }
}

core::Status SyncState::put_one(const std::string& machine, const SyncRecord& record) const {
  auto stmt = db_.prepare(
      "INSERT OR REPLACE INTO sync_files (machine, path, size, local_mtime_ns, remote_mtime_ns, "
      "sha256, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  TRY(stmt);
  stmt->bind(1, machine).bind(2, record.path).bind(3, static_cast<std::int64_t>(record.size));
  stmt->bind(4, record.local_mtime_ns).bind(5, record.remote_mtime_ns);
  stmt->bind(6, record.sha256).bind(7, record.synced_at);
  return stmt->run();
}

core::Status SyncState::erase_one(const std::string& machine, const std::string& path) const {
  auto stmt = db_.prepare("DELETE FROM sync_files WHERE machine = ?1 AND path = ?2");
  TRY(stmt);
  stmt->bind(1, machine).bind(2, path);
  return stmt->run();
}

core::Status SyncState::apply(const std::string& machine, const std::vector<SyncRecord>& put,
                              const std::vector<std::string>& erase) const {
  auto transaction = Transaction::begin(db_);
  TRY(transaction);
  for (const auto& record : put) {
    if (auto done = put_one(machine, record); !done) return done;
  }
  for (const auto& path : erase) {
    if (auto done = erase_one(machine, path); !done) return done;
  }
  return transaction->commit();
}

core::Status SyncState::drop(const std::string& machine) const {
  auto stmt = db_.prepare("DELETE FROM sync_files WHERE machine = ?1");
  TRY(stmt);
  stmt->bind(1, machine);
  return stmt->run();
}

}  // namespace gpunb::ledger
