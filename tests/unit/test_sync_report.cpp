#include <gtest/gtest.h>

#include <string>

#include "sync/report.hpp"

namespace gpunb::sync {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

Action action(ActionKind kind, std::string path, std::uint64_t size, std::string target = {}) {
  Action a;
  a.kind = kind;
  a.path = std::move(path);
  a.size = size;
  a.target = target.empty() && (kind == ActionKind::upload || kind == ActionKind::download)
                 ? a.path
                 : std::move(target);
  return a;
}

Plan sample() {
  Plan plan;
  plan.direction = Direction::both;
  plan.unchanged = 7;
  plan.actions.push_back(action(ActionKind::upload, "a.ipynb", 1000));
  plan.actions.push_back(action(ActionKind::upload, "data/huge.bin", 300 * kMiB));
  plan.actions.back().large = true;
  plan.actions.push_back(action(ActionKind::download, "b.ipynb", 24));
  auto conflict =
      action(ActionKind::conflict, "c.ipynb", 50, "c.conflict-remote-20240131T235959Z.ipynb");
  conflict.side = Side::remote;
  conflict.local = conflict.remote = Change::modified;
  plan.actions.push_back(conflict);
  plan.actions.push_back(action(ActionKind::skip_large, "model.pt", 2048 * kMiB));
  auto newer = action(ActionKind::skip_newer, "d.ipynb", 5);
  newer.note = "remote newer; pull to get it";
  plan.actions.push_back(newer);
  plan.actions.push_back(action(ActionKind::adopt, "e.ipynb", 5));
  return plan;
}

TEST(SyncReport, CountsFilesAndTransferredBytes) {
  auto summary = summarize(sample());
  EXPECT_EQ(summary[ActionKind::upload].files, 2u);
  EXPECT_EQ(summary[ActionKind::upload].bytes, 1000 + 300 * kMiB);
  EXPECT_EQ(summary[ActionKind::download].bytes, 24u);
  EXPECT_EQ(summary[ActionKind::conflict].files, 1u);
  EXPECT_EQ(summary[ActionKind::conflict].bytes, 50u);  // the copy travels
  EXPECT_EQ(summary[ActionKind::skip_large].files, 1u);
  EXPECT_EQ(summary[ActionKind::skip_large].bytes, 0u);
  EXPECT_EQ(summary.unchanged, 7u);
}

TEST(SyncReport, HumanBytes) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(300 * kMiB), "300.0 MiB");
  EXPECT_EQ(human_bytes(2048 * kMiB), "2.0 GiB");
}

TEST(SyncReport, HumanNamesWhatNeedsAttention) {
  auto text = human_report(sample());
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "sync: 2 uploaded (300.0 MiB), 1 downloaded (24 B), 1 already equal, 1 in conflict, "
            "7 unchanged");
  EXPECT_NE(text.find("conflict: c.ipynb (local modified, remote modified): remote version kept "
                      "beside it as c.conflict-remote-20240131T235959Z.ipynb"),
            std::string::npos);
  EXPECT_NE(text.find("above the size limit (--include-large gets them): model.pt (2.0 GiB)"),
            std::string::npos);
  EXPECT_NE(text.find("large uploads: data/huge.bin (300.0 MiB)"), std::string::npos);
  EXPECT_NE(text.find("remote newer; pull to get it: d.ipynb"), std::string::npos);
  EXPECT_NE(human_report(sample(), true).find("2 to upload"), std::string::npos);
}

TEST(SyncReport, HumanShortensLongLists) {
  Plan plan;
  for (int i = 0; i < 13; ++i) {
    plan.actions.push_back(action(ActionKind::skip_large, "f" + std::to_string(i), 1));
  }
  EXPECT_NE(human_report(plan).find("f9 (1 B) and 3 more"), std::string::npos);
}

TEST(SyncReport, NothingToDo) {
  Plan plan;
  plan.direction = Direction::pull;
  plan.unchanged = 3;
  EXPECT_EQ(human_report(plan), "pull: 3 unchanged\n");
}

TEST(SyncReport, Json) {
  auto json = json_report(sample());
  EXPECT_EQ(json["direction"], "sync");
  EXPECT_EQ(json["unchanged"], 7);
  EXPECT_EQ(json["conflicts"], 1);
  EXPECT_EQ(json["counts"]["upload"]["files"], 2);
  EXPECT_EQ(json["counts"]["delete_local"]["files"], 0);
  ASSERT_EQ(json["actions"].size(), 7u);
  EXPECT_EQ(json["actions"][3]["action"], "conflict");
  EXPECT_EQ(json["actions"][3]["target"], "c.conflict-remote-20240131T235959Z.ipynb");
  EXPECT_EQ(json["actions"][3]["local"], "modified");
  EXPECT_EQ(json["actions"][1]["large"], true);
}

TEST(SyncReport, ConflictsMakeTheOutcomeExitNine) {
  auto result = outcome(sample());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(core::exit_code(result.error().kind), 9);
  EXPECT_EQ(result.error().message, "1 file changed on both sides; both versions kept");
  Plan clean;
  EXPECT_TRUE(outcome(clean));
}

}  // namespace

}  // namespace gpunb::sync
