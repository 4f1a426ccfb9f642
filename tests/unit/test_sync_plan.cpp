#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "sync/plan.hpp"

namespace gpunb::sync {

namespace {

using std::chrono::system_clock;

const system_clock::time_point kNow =
    system_clock::from_time_t(1706745599);  // 2024-01-31 23:59:59Z
constexpr std::uint64_t kMiB = 1024 * 1024;

Entry file(std::uint64_t size, std::int64_t mtime, std::optional<std::string> sha = {}) {
  Entry entry;
  entry.path = "nb.ipynb";
  entry.size = size;
  entry.mtime_ns = mtime;
  entry.sha256 = std::move(sha);
  return entry;
}

// Base: 10 bytes, local mtime 100, remote mtime 200, hash h0.
ledger::SyncRecord base(std::string sha = "h0") {
  return ledger::SyncRecord{"nb.ipynb", 10, 100, 200, std::move(sha), 1};
}

const Entry kLocalSame = file(10, 100);
const Entry kRemoteSame = file(10, 200);
const Entry kLocalEdit = file(12, 150);
const Entry kRemoteEdit = file(13, 250);

struct Case {
  const char* name;
  std::optional<Entry> local;
  std::optional<Entry> remote;
  std::optional<ledger::SyncRecord> base;
  Direction direction;
  Options options;
  std::optional<ActionKind> kind;  // nullopt: unchanged, no action
  Side side = Side::local;
  const char* note = "";  // a substring of the note
};

Plan plan_for(const Case& c) {
  SyncInput input;
  if (c.local) input.local.push_back(*c.local);
  if (c.remote) input.remote.push_back(*c.remote);
  if (c.base) input.base.push_back(*c.base);
  return make_plan(input, Ignore(), c.direction, c.options, kNow);
}

const Options kKeep{};
const Options kDelete{true};
const Options kLarge{false, 100 * kMiB, true};
const auto kBoth = Direction::both;
const auto kPush = Direction::push;
const auto kPull = Direction::pull;
using K = ActionKind;

// clang-format off
const Case kCases[] = {
  {"unchanged",              kLocalSame, kRemoteSame, base(), kBoth, kKeep, std::nullopt},
  {"unchanged push",         kLocalSame, kRemoteSame, base(), kPush, kKeep, std::nullopt},
  {"local edit",             kLocalEdit, kRemoteSame, base(), kBoth, kKeep, K::upload, Side::local},
  {"local edit push",        kLocalEdit, kRemoteSame, base(), kPush, kKeep, K::upload, Side::local},
  {"local edit pull",        kLocalEdit, kRemoteSame, base(), kPull, kKeep, K::skip_newer, Side::local, "local newer; push"},
  {"remote edit",            kLocalSame, kRemoteEdit, base(), kBoth, kKeep, K::download, Side::remote},
  {"remote edit pull",       kLocalSame, kRemoteEdit, base(), kPull, kKeep, K::download, Side::remote},
  {"remote edit push",       kLocalSame, kRemoteEdit, base(), kPush, kKeep, K::skip_newer, Side::remote, "remote newer; pull to get it"},
  {"both edited, same",      file(12, 150, "h1"), file(12, 250, "h1"), base(), kBoth, kKeep, K::adopt},
  {"both edited, same push", file(12, 150, "h1"), file(12, 250, "h1"), base(), kPush, kKeep, K::adopt},
  {"both edited, differ",    file(12, 150, "h1"), file(12, 250, "h2"), base(), kBoth, kKeep, K::conflict, Side::remote},
  {"both edited, sizes",     kLocalEdit, kRemoteEdit, base(), kBoth, kKeep, K::conflict, Side::remote},
  {"both edited, pull",      kLocalEdit, kRemoteEdit, base(), kPull, kKeep, K::conflict, Side::remote},
  {"both edited, push",      kLocalEdit, kRemoteEdit, base(), kPush, kKeep, K::conflict, Side::local},
  {"new local",              kLocalEdit, std::nullopt, std::nullopt, kBoth, kKeep, K::upload, Side::local},
  {"new local pull",         kLocalEdit, std::nullopt, std::nullopt, kPull, kKeep, K::skip_newer, Side::local},
  {"new remote",             std::nullopt, kRemoteEdit, std::nullopt, kBoth, kKeep, K::download, Side::remote},
  {"new remote push",        std::nullopt, kRemoteEdit, std::nullopt, kPush, kKeep, K::skip_newer, Side::remote},
  {"new both, equal",        file(12, 1, "h1"), file(12, 2, "h1"), std::nullopt, kBoth, kKeep, K::adopt},
  {"new both, differ",       file(12, 1, "h1"), file(12, 2, "h2"), std::nullopt, kBoth, kKeep, K::conflict, Side::remote},
  {"new both, sizes differ", file(12, 1), file(13, 2), std::nullopt, kPush, kKeep, K::conflict, Side::local},
  {"deleted locally",        std::nullopt, kRemoteSame, base(), kBoth, kKeep, K::keep_deleted, Side::local, "--delete propagates"},
  {"deleted locally -d",     std::nullopt, kRemoteSame, base(), kBoth, kDelete, K::delete_remote, Side::remote},
  {"deleted locally -d push",std::nullopt, kRemoteSame, base(), kPush, kDelete, K::delete_remote, Side::remote},
  {"deleted locally -d pull",std::nullopt, kRemoteSame, base(), kPull, kDelete, K::keep_deleted, Side::local, "does not delete"},
  {"deleted remote",         kLocalSame, std::nullopt, base(), kBoth, kKeep, K::keep_deleted, Side::remote, "deleted on the remote, kept locally"},
  {"deleted remote -d",      kLocalSame, std::nullopt, base(), kBoth, kDelete, K::delete_local, Side::local},
  {"deleted remote -d pull", kLocalSame, std::nullopt, base(), kPull, kDelete, K::delete_local, Side::local},
  {"deleted remote -d push", kLocalSame, std::nullopt, base(), kPush, kDelete, K::keep_deleted, Side::remote},
  {"deleted both",           std::nullopt, std::nullopt, base(), kBoth, kKeep, K::forget},
  {"deleted local, edited remote",    std::nullopt, kRemoteEdit, base(), kBoth, kDelete, K::download, Side::remote, "restored"},
  {"deleted local, edited remote push", std::nullopt, kRemoteEdit, base(), kPush, kDelete, K::keep_deleted, Side::local, "changed on the remote: kept"},
  {"deleted local, edited remote, keep", std::nullopt, kRemoteEdit, base(), kBoth, kKeep, K::download, Side::remote, "restored"},
  {"deleted local, large remote edit",  std::nullopt, file(200 * kMiB, 250), base(), kBoth, kKeep, K::skip_large, Side::remote, "kept, above the size limit"},
  {"deleted remote, edited local",    kLocalEdit, std::nullopt, base(), kBoth, kDelete, K::upload, Side::local, "restored"},
  {"deleted remote, edited local pull", kLocalEdit, std::nullopt, base(), kPull, kKeep, K::keep_deleted, Side::remote, "changed locally: kept"},
  {"large new remote",       std::nullopt, file(200 * kMiB, 2), std::nullopt, kPull, kKeep, K::skip_large, Side::remote},
  {"large remote edit",      kLocalSame, file(200 * kMiB, 250), base(), kBoth, kKeep, K::skip_large, Side::remote},
  {"large remote included",  std::nullopt, file(200 * kMiB, 2), std::nullopt, kPull, kLarge, K::download, Side::remote},
  {"large local upload",     file(200 * kMiB, 2), std::nullopt, std::nullopt, kPush, kKeep, K::upload, Side::local},
  {"local mtime only",       file(10, 999, "h0"), kRemoteSame, base(), kBoth, kKeep, K::adopt},
  {"remote mtime only",      kLocalSame, file(10, 999, "h0"), base(), kPull, kKeep, K::adopt},
  {"local mtime only, remote edit", file(10, 999, "h0"), kRemoteEdit, base(), kBoth, kKeep, K::download, Side::remote},
  {"local same size, new hash", file(10, 999, "h9"), kRemoteSame, base(), kBoth, kKeep, K::upload, Side::local},
  {"mtime moved, no base hash", file(10, 999, "h0"), kRemoteSame, base(""), kBoth, kKeep, K::upload, Side::local},
};
// clang-format on

TEST(SyncPlan, Rules) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    auto plan = plan_for(c);
    if (!c.kind) {
      EXPECT_TRUE(plan.actions.empty());
      EXPECT_EQ(plan.unchanged, 1u);
      continue;
    }
    ASSERT_EQ(plan.actions.size(), 1u);
    const auto& action = plan.actions[0];
    EXPECT_STREQ(to_string(action.kind), to_string(*c.kind));
    EXPECT_EQ(action.side, c.side);
    EXPECT_NE(action.note.find(c.note), std::string::npos) << action.note;
    EXPECT_EQ(action.path, "nb.ipynb");
  }
}

TEST(SyncPlan, TransfersTargetThePathAndCarrySize) {
  auto up = plan_for({"", kLocalEdit, kRemoteSame, base(), kBoth, kKeep, {}}).actions.at(0);
  EXPECT_EQ(up.target, "nb.ipynb");
  EXPECT_EQ(up.size, 12u);
  EXPECT_TRUE(up.transfers());
  EXPECT_EQ(up.local, Change::modified);
  EXPECT_EQ(up.remote, Change::none);
  auto down = plan_for({"", kLocalSame, kRemoteEdit, base(), kBoth, kKeep, {}}).actions.at(0);
  EXPECT_EQ(down.target, "nb.ipynb");
  EXPECT_EQ(down.size, 13u);
}

TEST(SyncPlan, ConflictKeepsBothUnderConflictNames) {
  auto sync = plan_for({"", kLocalEdit, kRemoteEdit, base(), kBoth, kKeep, {}});
  ASSERT_TRUE(sync.has_conflicts());
  EXPECT_EQ(sync.actions[0].target, "nb.conflict-remote-20240131T235959Z.ipynb");
  EXPECT_EQ(sync.actions[0].size, 13u);
  EXPECT_EQ(sync.actions[0].local, Change::modified);
  EXPECT_EQ(sync.actions[0].remote, Change::modified);
  auto push = plan_for({"", kLocalEdit, kRemoteEdit, base(), kPush, kKeep, {}});
  EXPECT_EQ(push.actions[0].target, "nb.conflict-local-20240131T235959Z.ipynb");
  EXPECT_EQ(push.actions[0].size, 12u);
}

TEST(SyncPlan, LargeRemoteConflictCopyIsNotDownloaded) {
  auto plan = plan_for({"", kLocalEdit, file(200 * kMiB, 250), base(), kBoth, kKeep, {}});
  ASSERT_EQ(plan.actions[0].kind, ActionKind::conflict);
  EXPECT_TRUE(plan.actions[0].target.empty());
  EXPECT_FALSE(plan.actions[0].transfers());
  EXPECT_NE(plan.actions[0].note.find("size limit"), std::string::npos);
}

TEST(SyncPlan, LargeUploadsAreFlagged) {
  auto plan = plan_for({"", file(200 * kMiB, 2), std::nullopt, std::nullopt, kBoth, kKeep, {}});
  EXPECT_TRUE(plan.actions[0].large);
  auto small = plan_for({"", kLocalEdit, std::nullopt, std::nullopt, kBoth, kKeep, {}});
  EXPECT_FALSE(small.actions[0].large);
}

TEST(SyncPlan, SymlinksAreSkippedOnEitherSide) {
  auto link = kLocalEdit;
  link.is_symlink = true;
  auto plan = plan_for({"", link, kRemoteSame, base(), kBoth, kDelete, {}});
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].kind, ActionKind::skip_symlink);
  EXPECT_EQ(plan.actions[0].side, Side::local);
  auto remote_link = kRemoteEdit;
  remote_link.is_symlink = true;
  auto pulled = plan_for({"", std::nullopt, remote_link, std::nullopt, kPull, kKeep, {}});
  EXPECT_EQ(pulled.actions[0].kind, ActionKind::skip_symlink);
  EXPECT_EQ(pulled.actions[0].side, Side::remote);
}

TEST(SyncPlan, IgnoredPathsAreLeftOutBaseIncluded) {
  SyncInput input;
  input.remote.push_back(kRemoteSame);
  input.base.push_back(base());  // newly ignored: the missing local file is not a deletion
  auto plan = make_plan(input, Ignore::parse("*.ipynb\n"), kBoth, kDelete, kNow);
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_EQ(plan.unchanged, 0u);
}

TEST(SyncPlan, ActionsComeSortedByPath) {
  SyncInput input;
  for (const char* path : {"z.ipynb", "a/b.ipynb", "m.py"}) {
    auto entry = kLocalEdit;
    entry.path = path;
    input.local.push_back(entry);
  }
  auto plan = make_plan(input, Ignore(), kBoth, kKeep, kNow);
  ASSERT_EQ(plan.actions.size(), 3u);
  EXPECT_EQ(plan.actions[0].path, "a/b.ipynb");
  EXPECT_EQ(plan.actions[1].path, "m.py");
  EXPECT_EQ(plan.actions[2].path, "z.ipynb");
}

}  // namespace

}  // namespace gpunb::sync

namespace gpunb::sync {

namespace {

// The same cases for the workspace's own .gpunbignore.
Plan ignore_file_plan(std::optional<Entry> local, std::optional<Entry> remote, bool with_base,
                      Direction direction, const Options& options) {
  SyncInput input;
  for (auto* entry : {&local, &remote}) {
    if (*entry) (*entry)->path = std::string(kIgnoreFile);
    if (*entry) (entry == &local ? input.local : input.remote).push_back(**entry);
  }
  if (with_base) {
    auto record = base();
    record.path = std::string(kIgnoreFile);
    input.base.push_back(record);
  }
  return make_plan(input, Ignore(), direction, options, kNow);
}

}  // namespace

TEST(SyncPlan, IgnoreFileChangedOnTheRemoteIsAConflictNeverADownload) {
  for (auto direction : {kBoth, kPull}) {
    for (const auto& [local, with_base] :
         {std::pair{std::optional<Entry>(kLocalSame), true},
          std::pair{std::optional<Entry>(), true}, std::pair{std::optional<Entry>(), false}}) {
      auto plan = ignore_file_plan(local, kRemoteEdit, with_base, direction, kDelete);
      ASSERT_EQ(plan.actions.size(), 1u);
      const auto& action = plan.actions[0];
      EXPECT_EQ(action.kind, ActionKind::conflict);
      EXPECT_EQ(action.side, Side::remote);
      EXPECT_EQ(action.target, ".gpunbignore.conflict-remote-20240131T235959Z");
      EXPECT_TRUE(plan.has_conflicts());
    }
  }
  // Pushing leaves the remote's change where it is, as for any file.
  auto push = ignore_file_plan(kLocalSame, kRemoteEdit, true, kPush, kDelete);
  EXPECT_EQ(push.actions.at(0).kind, ActionKind::skip_newer);
}

TEST(SyncPlan, IgnoreFileDeletedOnTheRemoteIsAConflictAndTheNextSyncRestoresIt) {
  auto plan = ignore_file_plan(kLocalSame, std::nullopt, true, kPull, kDelete);
  ASSERT_EQ(plan.actions.size(), 1u);
  const auto& action = plan.actions[0];
  EXPECT_EQ(action.kind, ActionKind::conflict);
  EXPECT_TRUE(action.target.empty());
  EXPECT_FALSE(action.transfers());
  EXPECT_EQ(base_after(action, nullptr, 5).op, BaseOp::erase);
  // With the base gone, the laptop's file is new: a sync or push sends it back.
  auto again = ignore_file_plan(kLocalSame, std::nullopt, false, kBoth, kDelete);
  EXPECT_EQ(again.actions.at(0).kind, ActionKind::upload);
}

TEST(SyncPlan, IgnoreFileRemoteConflictCopyMakesTheLaptopVersionTravelNextTime) {
  auto plan = ignore_file_plan(kLocalSame, kRemoteEdit, true, kBoth, kKeep);
  auto update = base_after(plan.actions.at(0), nullptr, 5);
  ASSERT_EQ(update.op, BaseOp::put);
  EXPECT_EQ(update.record.local_mtime_ns, ledger::kUnknownMtime);
}

}  // namespace gpunb::sync
