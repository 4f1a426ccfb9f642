#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/watch_report.hpp"
#include "test_app_context.hpp"

namespace gpunb::app {

namespace {

// A watch.status reply as gpunb-agent sends it; NOW and STOP_AT are the machine's clock.
nlohmann::json reply(bool busy, std::int64_t now, std::int64_t stop_at, std::int64_t autostop_s) {
  return {{"running", true},
          {"pid", 42},
          {"now", now},
          {"settings", {{"autostop_s", autostop_s}, {"autodown", false}}},
          {"state",
           {{"now", now - 1},
            {"busy", busy},
            {"reasons", busy ? nlohmann::json{"kernel executing"} : nlohmann::json::array()},
            {"idle_since", now - 100},
            {"stop_at", busy ? 0 : stop_at}}}};
}

class WatchReportTest : public AppContextTest {
 protected:
  static core::Machine box(std::string id = "i-0123456789abcdef0") {
    core::Machine machine;
    machine.name = "box";
    machine.id = std::move(id);
    machine.state = core::MachineState::running;
    return machine;
  }
};

}  // namespace

TEST(WatchReport, TimeLeftIsTheMachinesOwnDifference) {
  // The machine's clock is 1000 s behind the laptop's: only stop_at - now counts.
  auto report = report_of(reply(false, 5000, 5600, 3600), "i-1", kT0);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->stop_in, 600);
  EXPECT_EQ(report->left_at(kT0 + 60), 540);
  EXPECT_EQ(report->left_at(kT0 + 900), 0);  // past the stop: never below 0
}

TEST(WatchReport, BusyOrOffHasNoCountdown) {
  auto busy = report_of(reply(true, 5000, 0, 3600), "i-1", kT0);
  ASSERT_TRUE(busy);
  EXPECT_TRUE(busy->busy);
  EXPECT_EQ(busy->reasons, std::vector<std::string>{"kernel executing"});
  EXPECT_FALSE(busy->left_at(kT0));
  auto off = report_of(reply(false, 5000, 5600, 0), "i-1", kT0);
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->stop_in);
}

TEST(WatchReport, NoReportWhileTheWatcherIsDownOrHasNotSampled) {
  auto down = reply(false, 5000, 5600, 3600);
  down["running"] = false;
  EXPECT_FALSE(report_of(down, "i-1", kT0));
  auto fresh = reply(false, 5000, 5600, 3600);
  fresh["state"] = nullptr;
  EXPECT_FALSE(report_of(fresh, "i-1", kT0));
  EXPECT_FALSE(report_of(nlohmann::json::object(), "i-1", kT0));
  auto changed = reply(false, 5000, 5600, 3600);
  changed["settings"]["configured_at"] = 4999;  // the sample (at 4999) was judged by the old one
  EXPECT_FALSE(report_of(changed, "i-1", kT0));
  changed["settings"]["configured_at"] = 4998;
  EXPECT_TRUE(report_of(changed, "i-1", kT0));
}

TEST_F(WatchReportTest, KeptForTwoMinutesForTheSameInstanceOnly) {
  remember_watch(context_, box(), reply(false, 5000, 5600, 3600));
  auto kept = recall_watch(context_, box(), kT0 + 30);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->left_at(kT0 + 30), 570);
  EXPECT_TRUE(recall_watch(context_, box(), kT0 + kWatchReportMaxAge));
  EXPECT_FALSE(recall_watch(context_, box(), kT0 + kWatchReportMaxAge + 1));  // may not hold now
  EXPECT_FALSE(recall_watch(context_, box("i-0fedcba9876543210"), kT0));      // the name reused
}

TEST_F(WatchReportTest, AReplyWithoutAReportForgetsTheOldOne) {
  remember_watch(context_, box(), reply(false, 5000, 5600, 3600));
  ASSERT_TRUE(recall_watch(context_, box(), kT0));
  remember_watch(context_, box(), {{"running", false}});
  EXPECT_FALSE(recall_watch(context_, box(), kT0));
}

TEST_F(WatchReportTest, AMangledFileIsNoReport) {
  remember_watch(context_, box(), reply(false, 5000, 5600, 3600));
  auto path = dir_ / "state" / "gpunb" / "watch" / "box.json";
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::resize_file(path, 10);
  EXPECT_FALSE(recall_watch(context_, box(), kT0));
}

}  // namespace gpunb::app
