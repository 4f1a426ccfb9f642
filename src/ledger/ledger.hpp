// The ledger: what gpunb launched, in SQLite (WAL, so two gpunb processes may share it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/machine.hpp"
#include "ledger/sqlite.hpp"

namespace gpunb::ledger {

// One line of a machine's history, kept for cost accounting even after the machine is removed.
struct Event {
  std::string machine;
  std::int64_t time = 0;  // unix seconds
  std::string kind;       // "launch", "start", "stop", "terminate", "state", ...
  std::string detail;
};

class Ledger {
 public:
  // Opens PATH, creating it (0600) and its parent folder (0700) when missing, and migrates it
  // to the latest schema. A ledger from a newer gpunb is refused untouched.
  static core::Result<Ledger> open(const std::filesystem::path& path);

  // Records a machine about to be launched, with state intent, before the cloud call. Refused
  // when a machine of that name exists and is not terminated (an intent left behind included:
  // find() it and reuse its client token to resume that launch).
  core::Status record_intent(const core::Machine& machine);
  // Inserts or replaces by name; created_at is kept, updated_at set.
  core::Status upsert(const core::Machine& machine);
  core::Result<std::optional<core::Machine>> find(const std::string& name) const;
  core::Result<std::optional<core::Machine>> find_by_token(const std::string& client_token) const;
  core::Result<std::vector<core::Machine>> all() const;  // sorted by name
  core::Result<bool> remove(const std::string& name);    // false when there was none; keeps events

  core::Status add_event(const std::string& machine, const std::string& kind,
                         const std::string& detail, std::int64_t time);
  core::Result<std::vector<Event>> events(const std::string& machine) const;  // oldest first

  const std::filesystem::path& path() const { return db_.path(); }
  // For the stores that share the ledger's file (ledger::SyncState).
  const Database& database() const { return db_; }

 private:
  explicit Ledger(Database db) : db_(std::move(db)) {}
  core::Result<std::optional<core::Machine>> find_where(const char* where,
                                                        const std::string& key) const;
  core::Status write_machine(const core::Machine& machine) const;
  core::Status refuse_existing(const std::string& name) const;

  Database db_;
};

}  // namespace gpunb::ledger
