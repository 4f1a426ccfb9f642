#include <gtest/gtest.h>

#include "app/machines.hpp"
#include "test_app_context.hpp"

namespace gpunb::app {

namespace {

// record() needs only the ledger and the clock.
class RecordTest : public AppContextTest {
 protected:
  static core::Machine box(core::MachineState state, std::int64_t since = 0) {
    core::Machine machine;
    machine.name = "box";
    machine.region = "us-east-1";
    machine.id = "i-0123456789abcdef0";
    machine.type = "g5.xlarge";
    machine.state = state;
    machine.state_since = since;
    return machine;
  }

  std::vector<std::int64_t> state_times() {
    std::vector<std::int64_t> times;
    auto events = context_.ledger().events("box");
    for (const auto& event : *events)
      if (event.kind == "state") times.push_back(event.time);
    return times;
  }
};

}  // namespace

TEST_F(RecordTest, StopSeenLateIsRecordedWhenTheCloudSaysItHappened) {
  record(context_, box(core::MachineState::running));
  clock_.seconds = kT0 + 8 * kHour;  // the laptop comes back; the idle watcher stopped it at 2 h
  record(context_, box(core::MachineState::stopped, kT0 + 2 * kHour));
  EXPECT_EQ(state_times(), (std::vector<std::int64_t>{kT0, kT0 + 2 * kHour}));
}

TEST_F(RecordTest, CloudTimeIsKeptAfterTheNewestEvent) {
  record(context_, box(core::MachineState::running));
  ASSERT_TRUE(context_.ledger().add_event("box", "autostop", "30", kT0 + kHour));
  clock_.seconds = kT0 + 8 * kHour;
  record(context_, box(core::MachineState::stopped, kT0 - kHour));  // before anything we saw
  EXPECT_EQ(state_times(), (std::vector<std::int64_t>{kT0, kT0 + kHour}));
}

TEST_F(RecordTest, CloudTimeIsKeptUpToNow) {
  record(context_, box(core::MachineState::running));
  clock_.seconds = kT0 + kHour;
  record(context_, box(core::MachineState::stopping, kT0 + 2 * kHour));  // a clock ahead of ours
  EXPECT_EQ(state_times(), (std::vector<std::int64_t>{kT0, kT0 + kHour}));
}

TEST_F(RecordTest, WithoutACloudTimeOrAHistoryItIsNow) {
  record(context_, box(core::MachineState::stopped, kT0 - 3 * kHour));  // adopted: no history
  clock_.seconds = kT0 + kHour;
  record(context_, box(core::MachineState::pending));  // no cloud time
  EXPECT_EQ(state_times(), (std::vector<std::int64_t>{kT0, kT0 + kHour}));
}

TEST_F(RecordTest, AnUnchangedStateAddsNoEvent) {
  record(context_, box(core::MachineState::running));
  clock_.seconds = kT0 + 8 * kHour;
  record(context_, box(core::MachineState::stopped, kT0 + 2 * kHour));
  clock_.seconds = kT0 + 9 * kHour;
  record(context_, box(core::MachineState::stopped, kT0 + 2 * kHour));
  EXPECT_EQ(state_times(), (std::vector<std::int64_t>{kT0, kT0 + 2 * kHour}));
}

}  // namespace gpunb::app
