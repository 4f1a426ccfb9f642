#include "ledger/sqlite.hpp"

#include <fmt/format.h>

#include <climits>

#include "base/expected.hpp"

namespace gpunb::ledger {

namespace {
// The first line of a statement, enough to tell which one failed.
std::string_view brief(std::string_view sql) {
  sql = sql.substr(0, sql.find('\n'));
  return sql.size() > 80 ? sql.substr(0, 80) : sql;
}
}  // namespace

core::Error sql_error(sqlite3* db, std::string_view what) {
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  const char* message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return core::Error{
      core::ErrorKind::internal,
      fmt::format("ledger {}: {}: {}", file != nullptr ? file : "?", brief(what), message),
      {}};
}

Statement& Statement::check_bind(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  return check_bind(sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(),
                                        SQLITE_TRANSIENT, SQLITE_UTF8));
}

Statement& Statement::bind(int index, std::int64_t number) {
  return check_bind(sqlite3_bind_int64(stmt_.get(), index, number));
}

Statement& Statement::bind(int index, std::optional<double> number) {
  if (!number) return bind_null(index);
  return check_bind(sqlite3_bind_double(stmt_.get(), index, *number));
}

Statement& Statement::bind_null(int index) {
  return check_bind(sqlite3_bind_null(stmt_.get(), index));
}

core::Result<bool> Statement::step() {
  sqlite3* db = sqlite3_db_handle(stmt_.get());
  if (bind_rc_ != SQLITE_OK) {
    return tl::unexpected(sql_error(db, fmt::format("bind: {}", sqlite3_errstr(bind_rc_))));
  }
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto error = sql_error(db, sqlite3_sql(stmt_.get()));
  sqlite3_reset(stmt_.get());
  return tl::unexpected(std::move(error));
}

core::Status Statement::run() {
  while (true) {
    auto row = step();
    TRY(row);
    if (!*row) return {};
  }
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_.get(), column);
  if (data == nullptr) return {};
  auto size = static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column));
  return {reinterpret_cast<const char*>(data), size};
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::optional<double> Statement::real(int column) const {
  if (sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(stmt_.get(), column);
}

core::Result<Database> Database::open(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database db(raw, path);
  if (rc != SQLITE_OK) {
    const char* message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return core::fail(core::ErrorKind::internal,
                      fmt::format("ledger {}: cannot open: {}", path.string(), message));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

core::Status Database::exec(const std::string& sql) const {
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(sql_error(db_.get(), sql));
  }
  return {};
}

core::Result<Statement> Database::prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = nullptr;
  if (sql.size() > INT_MAX) return core::fail(core::ErrorKind::internal, "SQL text too long");
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(sql_error(db_.get(), sql));
  return Statement(stmt);
}

core::Result<std::int64_t> Database::query_integer(const std::string& sql) const {
  auto stmt = prepare(sql);
  TRY(stmt);
  auto row = stmt->step();
  TRY(row);
  return *row ? stmt->integer(0) : 0;
}

core::Result<Transaction> Transaction::begin(const Database& db) {
  TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

core::Status Transaction::commit() {
  const Database* db = std::exchange(db_, nullptr);
  if (db == nullptr) return core::fail(core::ErrorKind::internal, "transaction already finished");
  auto committed = db->exec("COMMIT");
  if (!committed) (void)db->exec("ROLLBACK");
  return committed;
}

}  // namespace gpunb::ledger
