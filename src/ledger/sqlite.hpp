// A thin RAII layer over sqlite3: a connection, prepared statements and write transactions.
// Every failure becomes a core::Error of kind internal naming the database file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.hpp"

namespace gpunb::ledger {

// Builds the error for the last failure on DB: "ledger PATH: WHAT: sqlite message".
core::Error sql_error(sqlite3* db, std::string_view what);

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

  // Parameters are 1-based. A failed bind is reported by the next step().
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t number);
  Statement& bind(int index, std::optional<double> number);  // nullopt binds NULL
  Statement& bind_null(int index);

  core::Result<bool> step();  // true while a row is ready
  core::Status run();         // steps until done, ignoring rows

  // Columns are 0-based. NULL reads as "", 0 or nullopt.
  std::string text(int column) const;
  std::int64_t integer(int column) const;
  std::optional<double> real(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  Statement& check_bind(int rc);

  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  int bind_rc_ = SQLITE_OK;
};

class Database {
 public:
  // Opens (creating when missing) the database at PATH, read-write.
  static core::Result<Database> open(const std::filesystem::path& path);

  core::Status exec(const std::string& sql) const;  // one or more statements, rows ignored
  core::Result<Statement> prepare(std::string_view sql) const;
  core::Result<std::int64_t> query_integer(
      const std::string& sql) const;  // first column, first row
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  std::unique_ptr<sqlite3, Close> db_;
  std::filesystem::path path_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so the busy timeout applies) ... COMMIT.
// Dropped without commit(), it rolls back.
class Transaction {
 public:
  static core::Result<Transaction> begin(const Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  core::Status commit();

 private:
  explicit Transaction(const Database* db) : db_(db) {}
  const Database* db_;
};

}  // namespace gpunb::ledger
