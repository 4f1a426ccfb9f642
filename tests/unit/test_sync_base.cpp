// The plan's two phases (which hashes it needs) and what the base becomes after each action.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "sync/plan.hpp"

namespace gpunb::sync {

namespace {

using std::chrono::system_clock;
using Paths = std::vector<std::string>;

const system_clock::time_point kNow = system_clock::from_time_t(1706745599);

Entry file(std::string path, std::uint64_t size, std::int64_t mtime,
           std::optional<std::string> sha = {}) {
  Entry entry;
  entry.path = std::move(path);
  entry.size = size;
  entry.mtime_ns = mtime;
  entry.sha256 = std::move(sha);
  return entry;
}

ledger::SyncRecord record(std::string path, std::string sha = "h0") {
  return ledger::SyncRecord{std::move(path), 10, 100, 200, std::move(sha), 1};
}

TEST(SyncNeedsHash, AsksForQuickCheckFailuresAgainstAHashedBase) {
  SyncInput input;
  input.local = {file("a", 10, 999), file("b", 10, 100), file("c", 11, 999, "h1")};
  input.remote = {file("a", 10, 200), file("b", 10, 777), file("c", 10, 200)};
  input.base = {record("a"), record("b"), record("c")};
  auto request = needs_hash(input, Ignore());
  EXPECT_EQ(request.local, (Paths{"a"}));  // c has its hash already
  EXPECT_EQ(request.remote, (Paths{"b"}));
}

TEST(SyncNeedsHash, NothingWithoutABaseHashOrChange) {
  SyncInput input;
  input.local = {file("a", 10, 999), file("b", 10, 100)};
  input.remote = {file("a", 10, 200), file("b", 10, 200)};
  input.base = {record("a", ""), record("b")};
  EXPECT_TRUE(needs_hash(input, Ignore()).empty());
}

TEST(SyncNeedsHash, BothSidesNewOrChangedWithEqualSizes) {
  SyncInput input;
  input.local = {file("new-eq", 5, 1), file("new-ne", 5, 1), file("chg", 20, 999),
                 file("one", 5, 1)};
  input.remote = {file("new-eq", 5, 2), file("new-ne", 6, 2), file("chg", 20, 888)};
  input.base = {record("chg", "")};
  auto request = needs_hash(input, Ignore());
  EXPECT_EQ(request.local, (Paths{"chg", "new-eq"}));
  EXPECT_EQ(request.remote, (Paths{"chg", "new-eq"}));
}

TEST(SyncNeedsHash, SkipsSymlinksAndIgnoredPaths) {
  SyncInput input;
  input.local = {file("link", 5, 1), file("x.log", 5, 1)};
  input.local[0].is_symlink = true;
  input.remote = {file("link", 5, 2), file("x.log", 5, 2)};
  EXPECT_TRUE(needs_hash(input, Ignore::parse("*.log")).empty());
}

TEST(SyncConflictName, KeepsTheExtensionLast) {
  EXPECT_EQ(conflict_name("a.ipynb", Side::remote, kNow),
            "a.conflict-remote-20240131T235959Z.ipynb");
  EXPECT_EQ(conflict_name("dir/sub/a.tar.gz", Side::local, kNow),
            "dir/sub/a.tar.conflict-local-20240131T235959Z.gz");
  EXPECT_EQ(conflict_name(".env", Side::remote, kNow), ".env.conflict-remote-20240131T235959Z");
  EXPECT_EQ(conflict_name("d.x/Makefile", Side::remote, kNow),
            "d.x/Makefile.conflict-remote-20240131T235959Z");
}

Action only_action(const SyncInput& input, Direction direction, Options options = {}) {
  auto plan = make_plan(input, Ignore(), direction, options, kNow);
  EXPECT_EQ(plan.actions.size(), 1u);
  return plan.actions.at(0);
}

TEST(SyncBaseAfter, UploadRecordsBothSides) {
  SyncInput input{{file("a", 12, 150, "h1")}, {file("a", 10, 200)}, {record("a")}};
  auto action = only_action(input, Direction::both);
  auto written = file("a", 12, 5000);
  auto update = base_after(action, &written, 77);
  ASSERT_EQ(update.op, BaseOp::put);
  EXPECT_EQ(update.record, (ledger::SyncRecord{"a", 12, 150, 5000, "h1", 77}));
  EXPECT_EQ(base_after(action, nullptr, 77).op, BaseOp::keep);
}

TEST(SyncBaseAfter, DownloadRecordsBothSides) {
  SyncInput input{{file("a", 10, 100)}, {file("a", 13, 250)}, {record("a")}};
  auto action = only_action(input, Direction::pull);
  auto written = file("a", 13, 6000, "h3");
  auto update = base_after(action, &written, 78);
  ASSERT_EQ(update.op, BaseOp::put);
  EXPECT_EQ(update.record, (ledger::SyncRecord{"a", 13, 6000, 250, "h3", 78}));
}

TEST(SyncBaseAfter, AdoptAndMtimeRefreshRecordWithoutTransfer) {
  SyncInput input{{file("a", 10, 999, "h0")}, {file("a", 10, 200)}, {record("a")}};
  auto action = only_action(input, Direction::both);
  ASSERT_EQ(action.kind, ActionKind::adopt);
  EXPECT_FALSE(action.transfers());
  auto update = base_after(action, nullptr, 79);
  EXPECT_EQ(update.record, (ledger::SyncRecord{"a", 10, 999, 200, "h0", 79}));
  SyncInput rerun{{file("a", 10, 999)}, {file("a", 10, 200)}, {update.record}};
  EXPECT_TRUE(make_plan(rerun, Ignore(), Direction::both, {}, kNow).actions.empty());
}

TEST(SyncBaseAfter, DeletionsAndForgetEraseOthersKeep) {
  SyncInput deleted{{}, {file("a", 10, 200)}, {record("a")}};
  EXPECT_EQ(base_after(only_action(deleted, Direction::both, {true}), nullptr, 1).op,
            BaseOp::erase);
  SyncInput both_gone{{}, {}, {record("a")}};
  EXPECT_EQ(base_after(only_action(both_gone, Direction::both), nullptr, 1).op, BaseOp::erase);
  EXPECT_EQ(base_after(only_action(deleted, Direction::both), nullptr, 1).op, BaseOp::keep);
  SyncInput newer{{file("a", 10, 100)}, {file("a", 13, 250)}, {record("a")}};
  EXPECT_EQ(base_after(only_action(newer, Direction::push), nullptr, 1).op, BaseOp::keep);
}

// After a conflict the local file keeps the name; the next sync sends it on, the remote's
// version being kept beside it already. Nothing is overwritten unseen.
TEST(SyncBaseAfter, ConflictResolvesToTheKeptVersionNextTime) {
  SyncInput input{{file("a", 12, 150)}, {file("a", 13, 250)}, {record("a")}};
  auto conflict = only_action(input, Direction::both);
  ASSERT_EQ(conflict.kind, ActionKind::conflict);
  auto update = base_after(conflict, nullptr, 80);
  ASSERT_EQ(update.op, BaseOp::put);
  EXPECT_EQ(update.record.size, 13u);
  EXPECT_EQ(update.record.remote_mtime_ns, 250);
  EXPECT_EQ(update.record.local_mtime_ns, ledger::kUnknownMtime);
  SyncInput next{{file("a", 12, 150)}, {file("a", 13, 250)}, {update.record}};
  EXPECT_EQ(only_action(next, Direction::both).kind, ActionKind::upload);
  EXPECT_EQ(only_action(next, Direction::pull).kind, ActionKind::skip_newer);
}

TEST(SyncBaseAfter, ConflictTakenTheirsIsAdoptedByHash) {
  SyncInput input{{file("a", 12, 150, "hl")}, {file("a", 12, 250, "hr")}, {record("a")}};
  auto update = base_after(only_action(input, Direction::both), nullptr, 80);
  ASSERT_EQ(update.record.sha256, "hr");
  SyncInput next{{file("a", 12, 300)}, {file("a", 12, 250)}, {update.record}};
  EXPECT_EQ(needs_hash(next, Ignore()).local, (Paths{"a"}));
  next.local[0].sha256 = "hr";  // the user copied the remote version over theirs
  EXPECT_EQ(only_action(next, Direction::both).kind, ActionKind::adopt);
}

TEST(SyncBaseAfter, PushConflictKeepsTheRemoteVersion) {
  SyncInput input{{file("a", 12, 150)}, {file("a", 13, 250)}, {record("a")}};
  auto update = base_after(only_action(input, Direction::push), nullptr, 81);
  EXPECT_EQ(update.record.size, 12u);
  EXPECT_EQ(update.record.local_mtime_ns, 150);
  EXPECT_EQ(update.record.remote_mtime_ns, ledger::kUnknownMtime);
  SyncInput next{{file("a", 12, 150)}, {file("a", 13, 250)}, {update.record}};
  EXPECT_EQ(only_action(next, Direction::push).kind, ActionKind::skip_newer);
}

}  // namespace

}  // namespace gpunb::sync
