#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "ledger/ledger.hpp"
#include "ledger/schema.hpp"
#include "ledger/sync_state.hpp"

namespace gpunb::ledger {

namespace {

class LedgerSyncStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gpunb-sync-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = dir_ / "ledger.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Ledger open() {
    auto ledger = Ledger::open(path_);
    EXPECT_TRUE(ledger) << (ledger ? "" : ledger.error().message);
    return std::move(*ledger);
  }

  std::filesystem::path dir_;
  std::filesystem::path path_;
};

SyncRecord record(std::string path, std::uint64_t size = 10) {
  return SyncRecord{std::move(path),           size,   1'700'000'000'123'456'789,
                    1'700'000'001'000'000'000, "ab12", 1700000002};
}

TEST_F(LedgerSyncStateTest, EmptyForAnUnknownMachine) {
  auto ledger = open();
  auto records = SyncState(ledger.database()).load("box");
  ASSERT_TRUE(records);
  EXPECT_TRUE(records->empty());
}

TEST_F(LedgerSyncStateTest, PersistsAcrossReopenSortedByPath) {
  auto big = record("data/big.bin", 5'000'000'000ULL);
  big.local_mtime_ns = kUnknownMtime;
  big.sha256.clear();
  {
    auto ledger = open();
    ASSERT_TRUE(SyncState(ledger.database()).apply("box", {record("z.ipynb"), big}, {}));
  }
  auto ledger = open();
  auto records = SyncState(ledger.database()).load("box");
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0], big);
  EXPECT_EQ((*records)[1], record("z.ipynb"));
}

TEST_F(LedgerSyncStateTest, ApplyReplacesAndErases) {
  auto ledger = open();
  SyncState state(ledger.database());
  ASSERT_TRUE(state.apply("box", {record("a"), record("b"), record("c")}, {}));
  auto changed = record("a", 99);
  ASSERT_TRUE(state.apply("box", {changed}, {"b", "not-there"}));
  auto records = state.load("box");
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0], changed);
  EXPECT_EQ((*records)[1].path, "c");
}

TEST_F(LedgerSyncStateTest, MachinesAreSeparateAndDropForgetsOne) {
  auto ledger = open();
  SyncState state(ledger.database());
  ASSERT_TRUE(state.apply("box", {record("a")}, {}));
  ASSERT_TRUE(state.apply("other", {record("a"), record("b")}, {}));
  EXPECT_EQ(state.load("box")->size(), 1u);
  ASSERT_TRUE(state.drop("other"));
  EXPECT_TRUE(state.load("other")->empty());
  EXPECT_EQ(state.load("box")->size(), 1u);
}

TEST_F(LedgerSyncStateTest, ApplyIsOneTransaction) {
  auto ledger = open();
  SyncState state(ledger.database());
  ASSERT_TRUE(state.apply("box", {record("a")}, {}));
  ASSERT_TRUE(
      ledger.database().exec("CREATE TRIGGER no_b BEFORE INSERT ON sync_files "
                             "WHEN NEW.path = 'b' BEGIN SELECT RAISE(ABORT, 'no'); END"));
  EXPECT_FALSE(state.apply("box", {record("x"), record("b")}, {"a"}));
  auto records = state.load("box");
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].path, "a");
}

TEST_F(LedgerSyncStateTest, MigratesAVersionTwoLedger) {
  std::filesystem::create_directories(dir_);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE machines (name TEXT PRIMARY KEY); "
                         "CREATE TABLE events (id INTEGER PRIMARY KEY); PRAGMA user_version = 2;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto ledger = open();
  EXPECT_EQ(*ledger.database().query_integer("PRAGMA user_version"), latest_schema_version());
  EXPECT_TRUE(SyncState(ledger.database()).apply("box", {record("a")}, {}));
}

}  // namespace

}  // namespace gpunb::ledger
