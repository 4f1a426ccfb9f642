#include "ledger/schema.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "base/expected.hpp"

namespace gpunb::ledger {

namespace {

// Step N takes user_version N to N+1. Append only: never edit a step that has shipped.
constexpr std::array<std::string_view, 4> kMigrations = {
    R"sql(
CREATE TABLE machines (
  name          TEXT PRIMARY KEY NOT NULL,
  provider      TEXT NOT NULL,
  region        TEXT NOT NULL DEFAULT '',
  instance_id   TEXT NOT NULL DEFAULT '',
  type          TEXT NOT NULL DEFAULT '',
  state         TEXT NOT NULL,
  public_ip     TEXT NOT NULL DEFAULT '',
  login_user    TEXT NOT NULL DEFAULT '',
  launched_at   INTEGER NOT NULL DEFAULT 0,
  client_token  TEXT UNIQUE,
  hourly_price  REAL,
  zone          TEXT NOT NULL DEFAULT '',
  image_id      TEXT NOT NULL DEFAULT '',
  spot          INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX machines_instance_id ON machines(instance_id);
CREATE TABLE events (
  id       INTEGER PRIMARY KEY,
  machine  TEXT NOT NULL,
  time     INTEGER NOT NULL,
  kind     TEXT NOT NULL,
  detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_machine_time ON events(machine, time);
)sql",
    // 2: machines reached over SSH on another port than 22 (the ssh provider).
    R"sql(
ALTER TABLE machines ADD COLUMN ssh_port INTEGER NOT NULL DEFAULT 22;
)sql",
    // 3: the last-synced state of each workspace file, per machine (the sync base).
    R"sql(
CREATE TABLE sync_files (
  machine          TEXT NOT NULL,
  path             TEXT NOT NULL,
  size             INTEGER NOT NULL,
  local_mtime_ns   INTEGER NOT NULL,
  remote_mtime_ns  INTEGER NOT NULL,
  sha256           TEXT NOT NULL DEFAULT '',
  synced_at        INTEGER NOT NULL,
  PRIMARY KEY (machine, path)
) WITHOUT ROWID;
)sql",
    // 4: the local folder each machine mirrors (up --workspace).
    R"sql(
ALTER TABLE machines ADD COLUMN workspace TEXT NOT NULL DEFAULT '';
)sql",
};

core::Result<int> current_version(const Database& db) {
  auto version = db.query_integer("PRAGMA user_version");
  TRY(version);
  return static_cast<int>(*version);
}

core::Status refuse_newer(const Database& db, int version) {
  if (version < 0) {
    return core::fail(
        core::ErrorKind::refused,
        fmt::format("ledger has an unknown schema version {}: {}", version, db.path().string()));
  }
  if (version <= latest_schema_version()) return {};
  return core::fail(
      core::ErrorKind::refused,
      fmt::format("ledger was written by a newer gpunb (schema {}, this gpunb knows {}): {}",
                  version, latest_schema_version(), db.path().string()),
      "upgrade gpunb to use this ledger");
}

}  // namespace

int latest_schema_version() {
  return static_cast<int>(kMigrations.size());
}

core::Status check_not_newer(const Database& db) {
  auto version = current_version(db);
  TRY(version);
  return refuse_newer(db, *version);
}

core::Status migrate(const Database& db) {
  auto transaction = Transaction::begin(db);
  TRY(transaction);
  auto version = current_version(db);  // again, under the write lock: another process may have won
  TRY(version);
  if (auto newer = refuse_newer(db, *version); !newer) return newer;
  if (*version == latest_schema_version()) return {};
  for (int step = *version; step < latest_schema_version(); ++step) {
    if (auto applied = db.exec(std::string(kMigrations.at(step))); !applied) return applied;
  }
  auto set = db.exec(fmt::format("PRAGMA user_version = {}", latest_schema_version()));
  if (!set) return set;
  return transaction->commit();
}

}  // namespace gpunb::ledger
