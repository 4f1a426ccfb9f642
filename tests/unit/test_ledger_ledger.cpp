#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "ledger/ledger.hpp"
#include "ledger/schema.hpp"

namespace gpunb::ledger {

namespace {

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto base = std::filesystem::temp_directory_path();
    dir_ = base / ("gpunb-ledger-test-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = dir_ / "state" / "ledger.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Ledger open() {
    auto ledger = Ledger::open(path_);
    EXPECT_TRUE(ledger) << (ledger ? "" : ledger.error().message);
    return std::move(*ledger);
  }

  static core::Machine machine(const std::string& name, const std::string& token) {
    core::Machine m;
    m.name = name;
    m.region = "eu-west-1";
    m.type = "g5.xlarge";
    m.client_token = token;
    m.user = "ubuntu";
    return m;
  }

  static int user_version(const std::filesystem::path& path) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
    sqlite3_step(stmt);
    int version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return version;
  }

  std::filesystem::path dir_;
  std::filesystem::path path_;
};

}  // namespace

TEST_F(LedgerTest, CreatesPrivateFolderAndMigratesNewFile) {
  auto ledger = open();
  EXPECT_EQ(user_version(path_), latest_schema_version());
  EXPECT_EQ(std::filesystem::status(path_.parent_path()).permissions(),
            std::filesystem::perms::owner_all);
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto all = ledger.all();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

TEST_F(LedgerTest, MigratesZeroByteFile) {
  std::filesystem::create_directories(path_.parent_path());
  std::ofstream(path_).close();
  ASSERT_EQ(std::filesystem::file_size(path_), 0u);
  auto ledger = open();
  EXPECT_EQ(user_version(path_), latest_schema_version());
  EXPECT_TRUE(ledger.upsert(machine("a", "t-a")));
}

TEST_F(LedgerTest, UsesWal) {
  auto ledger = open();
  sqlite3* db = nullptr;
  sqlite3_open(path_.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(LedgerTest, ReopenKeepsData) {
  core::Machine m = machine("box", "tok-1");
  m.id = "i-0123";
  m.state = core::MachineState::running;
  m.public_ip = "198.51.100.4";
  m.launched_at = 1700000000;
  m.hourly_price = 1.006;
  m.zone = "eu-west-1a";
  m.image_id = "ami-1";
  m.spot = true;
  m.ssh_port = 2222;
  ASSERT_TRUE(open().upsert(m));
  auto found = open().find("box");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  const core::Machine& got = **found;
  EXPECT_EQ(got.id, "i-0123");
  EXPECT_EQ(got.state, core::MachineState::running);
  EXPECT_EQ(got.public_ip, "198.51.100.4");
  EXPECT_EQ(got.user, "ubuntu");
  EXPECT_EQ(got.launched_at, 1700000000);
  EXPECT_EQ(got.hourly_price, 1.006);
  EXPECT_EQ(got.zone, "eu-west-1a");
  EXPECT_EQ(got.image_id, "ami-1");
  EXPECT_EQ(got.ssh_port, 2222);
  EXPECT_EQ(got.provider, "ec2");
  EXPECT_TRUE(got.spot);
}

TEST_F(LedgerTest, IntentThenUpsert) {
  auto ledger = open();
  core::Machine m = machine("box", "tok-1");
  m.state = core::MachineState::running;  // record_intent forces the state
  ASSERT_TRUE(ledger.record_intent(m));
  auto intent = ledger.find("box");
  ASSERT_TRUE(intent && intent->has_value());
  EXPECT_EQ((*intent)->state, core::MachineState::intent);
  EXPECT_EQ((*intent)->id, "");
  EXPECT_FALSE((*intent)->hourly_price.has_value());
  m.id = "i-1";
  m.state = core::MachineState::pending;
  ASSERT_TRUE(ledger.upsert(m));
  auto all = ledger.all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, "i-1");
  EXPECT_EQ((*all)[0].state, core::MachineState::pending);
}

TEST_F(LedgerTest, FindsByToken) {
  auto ledger = open();
  ASSERT_TRUE(ledger.record_intent(machine("a", "tok-a")));
  ASSERT_TRUE(ledger.record_intent(machine("b", "tok-b")));
  ASSERT_TRUE(ledger.upsert(machine("c", "")));
  ASSERT_TRUE(ledger.upsert(machine("d", "")));  // token-less rows do not collide
  auto found = ledger.find_by_token("tok-b");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->name, "b");
  auto missing = ledger.find_by_token("nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto empty = ledger.find_by_token("");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->has_value());
  EXPECT_FALSE(ledger.upsert(machine("e", "tok-a")));  // tokens are unique
}

TEST_F(LedgerTest, IntentRefusedForExistingName) {
  auto ledger = open();
  core::Machine m = machine("box", "tok-1");
  ASSERT_TRUE(ledger.record_intent(m));
  auto again = ledger.record_intent(machine("box", "tok-2"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, core::ErrorKind::refused);
  m.state = core::MachineState::stopped;
  ASSERT_TRUE(ledger.upsert(m));
  again = ledger.record_intent(machine("box", "tok-2"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  m.state = core::MachineState::terminated;
  ASSERT_TRUE(ledger.upsert(m));
  ASSERT_TRUE(ledger.record_intent(machine("box", "tok-2")));
  auto found = ledger.find("box");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->client_token, "tok-2");
}

TEST_F(LedgerTest, RemoveKeepsEvents) {
  auto ledger = open();
  ASSERT_TRUE(ledger.upsert(machine("box", "t")));
  ASSERT_TRUE(ledger.add_event("box", "stop", "", 200));
  ASSERT_TRUE(ledger.add_event("box", "launch", "g5.xlarge", 100));
  ASSERT_TRUE(ledger.add_event("other", "launch", "", 150));
  auto removed = ledger.remove("box");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  removed = ledger.remove("box");
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);
  auto events = ledger.events("box");
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, "launch");
  EXPECT_EQ((*events)[0].detail, "g5.xlarge");
  EXPECT_EQ((*events)[0].time, 100);
  EXPECT_EQ((*events)[1].kind, "stop");
}

TEST_F(LedgerTest, AllIsSortedByName) {
  auto ledger = open();
  for (const char* name : {"zeta", "alpha", "mid"}) ASSERT_TRUE(ledger.upsert(machine(name, name)));
  auto all = ledger.all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "alpha");
  EXPECT_EQ((*all)[2].name, "zeta");
}

TEST_F(LedgerTest, RefusesNewerSchema) {
  { auto ledger = open(); }
  sqlite3* db = nullptr;
  sqlite3_open(path_.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto ledger = Ledger::open(path_);
  ASSERT_FALSE(ledger);
  EXPECT_NE(ledger.error().message.find("ledger was written by a newer gpunb"), std::string::npos);
  EXPECT_NE(ledger.error().message.find(path_.string()), std::string::npos);
  EXPECT_EQ(user_version(path_), 99);
}

TEST_F(LedgerTest, NotADatabaseIsAnInternalErrorNamingThePath) {
  std::filesystem::create_directories(path_.parent_path());
  std::ofstream(path_) << "this is not an sqlite file, but it is long enough to have a header";
  auto ledger = Ledger::open(path_);
  ASSERT_FALSE(ledger);
  EXPECT_EQ(ledger.error().kind, core::ErrorKind::internal);
  EXPECT_NE(ledger.error().message.find(path_.string()), std::string::npos);
}

TEST_F(LedgerTest, TwoConnectionsAtOnce) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first.record_intent(machine("box", "tok-1")));
  auto seen = second.find("box");
  ASSERT_TRUE(seen && seen->has_value());
  EXPECT_FALSE(second.record_intent(machine("box", "tok-2")));
  ASSERT_TRUE(second.add_event("box", "launch", "", 1));
  auto events = first.events("box");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->size(), 1u);
}

TEST_F(LedgerTest, ConcurrentOpenersAndWritersWait) {
  constexpr int kThreads = 4;
  constexpr int kWrites = 50;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto ledger = Ledger::open(path_);
      if (!ledger) {
        failures[t] = -1;
        return;
      }
      for (int i = 0; i < kWrites; ++i) {
        auto name = "m" + std::to_string(t) + "-" + std::to_string(i);
        if (!ledger->record_intent(machine(name, name))) ++failures[t];
        if (!ledger->add_event(name, "launch", "", i)) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int failure : failures) EXPECT_EQ(failure, 0);
  auto all = open().all();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kWrites));
}

}  // namespace gpunb::ledger

namespace gpunb::ledger {

// A ledger written by the first schema (before ssh_port) is migrated in place, data kept.
TEST(LedgerMigration, FromSchemaOneKeepsRows) {
  auto path = std::filesystem::temp_directory_path() / "gpunb-ledger-v1.db";
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 =
      "CREATE TABLE machines (name TEXT PRIMARY KEY NOT NULL, provider TEXT NOT NULL, region TEXT "
      "NOT "
      "NULL DEFAULT '', instance_id TEXT NOT NULL DEFAULT '', type TEXT NOT NULL DEFAULT '', state "
      "TEXT "
      "NOT NULL, public_ip TEXT NOT NULL DEFAULT '', login_user TEXT NOT NULL DEFAULT '', "
      "launched_at "
      "INTEGER NOT NULL DEFAULT 0, client_token TEXT UNIQUE, hourly_price REAL, zone TEXT NOT NULL "
      "DEFAULT '', image_id TEXT NOT NULL DEFAULT '', spot INTEGER NOT NULL DEFAULT 0, created_at "
      "INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
      "CREATE TABLE events (id INTEGER PRIMARY KEY, machine TEXT NOT NULL, time INTEGER NOT NULL, "
      "kind "
      "TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');"
      "INSERT INTO machines (name, provider, state, instance_id, created_at, updated_at) VALUES "
      "('old', 'ec2', 'running', 'i-1', 1, 1);"
      "PRAGMA user_version = 1;";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto ledger = Ledger::open(path);
  ASSERT_TRUE(ledger) << ledger.error().message;
  auto old = ledger->find("old");
  ASSERT_TRUE(old && *old);
  EXPECT_EQ((*old)->id, "i-1");
  EXPECT_EQ((*old)->ssh_port, 22);
  std::filesystem::remove(path);
}

}  // namespace gpunb::ledger
