#include "ledger/ledger.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/expected.hpp"
#include "ledger/schema.hpp"
#include "util/fs.hpp"

namespace gpunb::ledger {

namespace {

constexpr const char* kColumns =
    "name, provider, region, instance_id, type, state, public_ip, login_user, launched_at, "
    "client_token, hourly_price, zone, image_id, spot, ssh_port, workspace";

constexpr const char* kNow = "CAST(strftime('%s', 'now') AS INTEGER)";

core::Error location_error(const std::filesystem::path& path, const std::string& reason) {
  return core::Error{core::ErrorKind::internal,
                     fmt::format("ledger {}: cannot create: {}", path.string(), reason),
                     {}};
}

// A missing parent folder is made private; the file is created 0600 before SQLite sees it.
core::Status prepare_location(const std::filesystem::path& path) {
  try {
    auto parent = path.parent_path();
    if (!parent.empty() && !std::filesystem::exists(parent)) util::ensure_private_dir(parent);
  } catch (const std::exception& error) {
    return tl::unexpected(location_error(path, error.what()));
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return tl::unexpected(location_error(path, std::strerror(errno)));
  ::close(fd);
  return {};
}

core::Status configure(const Database& db) {
  if (auto timeout = db.exec("PRAGMA busy_timeout = 5000"); !timeout) return timeout;
  if (auto newer = check_not_newer(db); !newer) return newer;
  return db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");
}

core::Machine read_machine(const Statement& row) {
  core::Machine machine;
  machine.name = row.text(0);
  machine.provider = row.text(1);
  machine.region = row.text(2);
  machine.id = row.text(3);
  machine.type = row.text(4);
  machine.state = core::machine_state_from(row.text(5));
  machine.public_ip = row.text(6);
  machine.user = row.text(7);
  machine.launched_at = row.integer(8);
  machine.client_token = row.text(9);
  machine.hourly_price = row.real(10);
  machine.zone = row.text(11);
  machine.image_id = row.text(12);
  machine.spot = row.integer(13) != 0;
  machine.ssh_port = static_cast<int>(row.integer(14));
  machine.workspace = row.text(15);
  return machine;
}

void bind_machine(Statement& stmt, const core::Machine& machine) {
  stmt.bind(1, machine.name).bind(2, machine.provider).bind(3, machine.region);
  stmt.bind(4, machine.id)
      .bind(5, machine.type)
      .bind(6, std::string_view(core::to_string(machine.state)));
  stmt.bind(7, machine.public_ip).bind(8, machine.user).bind(9, machine.launched_at);
  if (machine.client_token.empty()) {
    stmt.bind_null(10);  // UNIQUE must not make two token-less rows collide
  } else {
    stmt.bind(10, machine.client_token);
  }
  stmt.bind(11, machine.hourly_price).bind(12, machine.zone).bind(13, machine.image_id);
  stmt.bind(14, std::int64_t{machine.spot ? 1 : 0}).bind(15, std::int64_t{machine.ssh_port});
  stmt.bind(16, machine.workspace);
}

std::string upsert_sql() {
  return fmt::format(
      "INSERT INTO machines ({}, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, {}, {}) "
      "ON CONFLICT(name) DO UPDATE SET provider = excluded.provider, region = excluded.region, "
      "instance_id = excluded.instance_id, type = excluded.type, state = excluded.state, "
      "public_ip = excluded.public_ip, login_user = excluded.login_user, "
      "launched_at = excluded.launched_at, client_token = excluded.client_token, "
      "hourly_price = excluded.hourly_price, zone = excluded.zone, image_id = excluded.image_id, "
      "spot = excluded.spot, ssh_port = excluded.ssh_port, workspace = excluded.workspace, "
      "updated_at = excluded.updated_at",
      kColumns, kNow, kNow);
}

}  // namespace

core::Result<Ledger> Ledger::open(const std::filesystem::path& path) {
  TRY(prepare_location(path));
  auto db = Database::open(path);
  TRY(db);
  TRY(configure(*db));
  TRY(migrate(*db));
  return Ledger(std::move(*db));
}

core::Status Ledger::write_machine(const core::Machine& machine) const {
  auto stmt = db_.prepare(upsert_sql());
  TRY(stmt);
  bind_machine(*stmt, machine);
  return stmt->run();
}

core::Status Ledger::refuse_existing(const std::string& name) const {
  auto existing = find(name);
  TRY(existing);
  if (!*existing || (*existing)->state == core::MachineState::terminated) return {};
  if ((*existing)->state == core::MachineState::intent) {
    return core::fail(
        core::ErrorKind::refused,
        fmt::format("a launch of machine '{}' is in progress or was interrupted", name),
        fmt::format("wait for it, or run `gpunb down {}` first", name));
  }
  return core::fail(core::ErrorKind::refused,
                    fmt::format("a machine named '{}' already exists ({})", name,
                                core::to_string((*existing)->state)),
                    fmt::format("pick another name, or run `gpunb down {}` first", name));
}

core::Status Ledger::record_intent(const core::Machine& machine) {
  auto transaction = Transaction::begin(db_);
  TRY(transaction);
  if (auto free = refuse_existing(machine.name); !free) return free;
  auto stmt = db_.prepare("DELETE FROM machines WHERE name = ?1");
  TRY(stmt);
  if (auto removed = stmt->bind(1, machine.name).run(); !removed) return removed;
  core::Machine intent = machine;
  intent.state = core::MachineState::intent;
  if (auto written = write_machine(intent); !written) return written;
  return transaction->commit();
}

core::Status Ledger::upsert(const core::Machine& machine) {
  return write_machine(machine);
}

core::Result<std::optional<core::Machine>> Ledger::find_where(const char* where,
                                                              const std::string& key) const {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM machines WHERE {} = ?1", kColumns, where));
  TRY(stmt);
  auto row = stmt->bind(1, key).step();
  TRY(row);
  if (!*row) return std::optional<core::Machine>();
  return read_machine(*stmt);
}

core::Result<std::optional<core::Machine>> Ledger::find(const std::string& name) const {
  return find_where("name", name);
}

core::Result<std::optional<core::Machine>> Ledger::find_by_token(const std::string& token) const {
  if (token.empty()) return std::optional<core::Machine>();
  return find_where("client_token", token);
}

core::Result<std::vector<core::Machine>> Ledger::all() const {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM machines ORDER BY name", kColumns));
  TRY(stmt);
  std::vector<core::Machine> machines;
  while (true) {
    auto row = stmt->step();
    TRY(row);
    if (!*row) return machines;
    machines.push_back(read_machine(*stmt));
  }
}

core::Result<bool> Ledger::remove(const std::string& name) {
  auto stmt = db_.prepare("DELETE FROM machines WHERE name = ?1");
  TRY(stmt);
  TRY(stmt->bind(1, name).run());
  return sqlite3_changes(db_.handle()) > 0;
}

core::Status Ledger::add_event(const std::string& machine, const std::string& kind,
                               const std::string& detail, std::int64_t time) {
  auto stmt =
      db_.prepare("INSERT INTO events (machine, time, kind, detail) VALUES (?1, ?2, ?3, ?4)");
  TRY(stmt);
  return stmt->bind(1, machine).bind(2, time).bind(3, kind).bind(4, detail).run();
}

core::Result<std::vector<Event>> Ledger::events(const std::string& machine) const {
  auto stmt = db_.prepare(
      "SELECT machine, time, kind, detail FROM events WHERE machine = ?1 ORDER BY time, id");
  TRY(stmt);
  stmt->bind(1, machine);
  std::vector<Event> events;
  while (true) {
    auto row = stmt->step();
    TRY(row);
    if (!*row) return events;
    events.push_back(Event{stmt->text(0), stmt->integer(1), stmt->text(2), stmt->text(3)});
  }
}

}  // namespace gpunb::ledger
