// WatchLoop, the idle watcher, run on fake sensors, a fake power switch and a clock the test
// advances: hours of watching in milliseconds, and every attempt to stop the machine recorded.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/host/context.hpp"
#include "agent/host/files.hpp"
#include "agent/watch/clock.hpp"
#include "agent/watch/loop.hpp"
#include "agent/watch/power.hpp"
#include "agent/watch/sensors.hpp"
#include "agent/watch/settings.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

constexpr Seconds kStart = 1700000000;                      // 2023-11-14T22:13:20Z
constexpr const char* kStartText = "2023-11-14T22:13:20Z";  // how the log writes it

// Each wait moves time on by the interval; the first wait that ends past END ends the run, as
// SIGTERM would.
class FakeClock : public WatchClock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(now_));
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::time_point(std::chrono::seconds(now_));
  }
  void sleep_for(std::chrono::milliseconds duration) override {
    now_ += std::chrono::duration_cast<std::chrono::seconds>(duration).count();
  }
  int wait(Seconds seconds) override {
    now_ += seconds;
    return now_ > end ? SIGTERM : 0;
  }
  Seconds end = kStart;

 private:
  Seconds now_ = kStart;
};

// The machine as the test describes it, as functions of the clock's time.
class FakeSensors : public Sensors {
 public:
  explicit FakeSensors(WatchClock& clock) : clock_(clock) {}
  void configure(const WatchSettings&) override {}
  JupyterActivity jupyter() override {
    JupyterActivity activity;
    activity.executing = executing;
    activity.notebooks = notebooks;
    return activity;
  }
  std::optional<double> gpu_percent() override {
    return clock_.seconds() < gpu_busy_until ? gpu_busy : gpu_idle;
  }
  bool transfer_running() override { return false; }
  std::optional<Seconds> last_ssh_traffic(Seconds, const std::set<int>&) override {
    return std::nullopt;
  }
  // Says so at every sample from NOTICE_AT on, as a metadata service would: acting once is the
  // watcher's business.
  std::optional<nlohmann::json> spot_notice(Seconds now) override {
    ++spot_polls;
    if (!notice_at || now < *notice_at) return std::nullopt;
    return nlohmann::json{{"action", "terminate"}, {"time", "2023-11-14T22:15:20Z"}};
  }
  std::vector<std::string> checkpoint(const std::vector<OpenNotebook>& open) override {
    checkpoints.push_back(clock_.seconds());
    std::vector<std::string> saved;
    for (const auto& notebook : open) {
      if (notebook.path != unsavable) saved.push_back(notebook.path);
    }
    return saved;
  }
  std::optional<std::string> unpulled_change(const std::string& workspace) override {
    asked_workspace = workspace;
    return unpulled;
  }
  Seconds boot_time() override { return 0; }

  bool executing = false;
  double gpu_busy = 0, gpu_idle = 0;
  Seconds gpu_busy_until = 0;
  std::vector<OpenNotebook> notebooks;
  std::optional<Seconds> notice_at;
  std::string unsavable;  // a notebook whose checkpoint fails
  std::optional<std::string> unpulled;
  int spot_polls = 0;
  std::vector<Seconds> checkpoints;  // when the notebooks were checkpointed
  std::string asked_workspace;

 private:
  WatchClock& clock_;
};

// Records when each power-off, termination and tag was tried; fails the first FAILURES
// power-offs, and every termination when TERMINATE_ERROR is set.
class FakePower : public Power {
 public:
  explicit FakePower(WatchClock& clock) : clock_(clock) {}
  Result<std::string> power_off() override {
    offs.push_back(clock_.seconds());
    if (failures > 0) {
      --failures;
      return fail(ErrorKind::refused, "no shutdown command was accepted (test)");
    }
    return std::string("sudo -n shutdown -h now");
  }
  Status terminate(Seconds now) override {
    terminations.push_back(now);
    if (!terminate_error.empty()) return fail(ErrorKind::refused, terminate_error);
    return {};
  }
  Status tag_stopped_by(const std::string& what) override {
    tags.push_back(what);
    return {};
  }

  int failures = 0;
  std::string terminate_error;
  std::vector<Seconds> offs, terminations;
  std::vector<std::string> tags;

 private:
  WatchClock& clock_;
};

// The loop writes its state at every sample (write_atomic: fsync, rename): on tmpfs, where fsync
// costs nothing, an hour of samples takes milliseconds rather than seconds.
std::filesystem::path scratch() {
  std::error_code error;
  if (std::filesystem::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

class WatchLoopTest : public ::testing::Test {
 protected:
  WatchLoopTest() {
    settings.idle.autostop = 60;
    settings.idle.window = 20;
    settings.idle.interval = 5;
    settings.idle.gpu_busy_percent = 10;
    settings.workspace = "~/work/nb";
    std::filesystem::create_directories(dir_);
  }
  ~WatchLoopTest() override { std::filesystem::remove_all(dir_); }

  // Writes the settings, then watches from kStart until END (a sample at every interval).
  void run_until(Seconds end) {
    ASSERT_TRUE(write_settings(files_, settings));
    Context context{dir_, dir_, base::Logger::append_to(dir_ / "agent.log")};
    clock.end = end;
    WatchLoop loop(context, files_, sensors, power, clock);
    EXPECT_EQ(loop.run(), 0);
  }
  std::string log() const { return base::read_file(dir_ / "agent.log").value_or(""); }
  bool logged(const std::string& line) const { return log().find(line) != std::string::npos; }
  nlohmann::json spot_record() const {
    return nlohmann::json::parse(base::read_file(files_.spot).value_or("null"));
  }

  WatchSettings settings;
  FakeClock clock;
  FakeSensors sensors{clock};
  FakePower power{clock};

 private:
  std::filesystem::path dir_ = scratch() / ("gpunb-watch-loop-" + base::random_hex(6));
  WatchFiles files_ = watch_files(dir_);
};

using Times = std::vector<Seconds>;

// a. Given an idle machine, it is stopped at the first sample idle for autostop (every 5 s from
// kStart), not before.
TEST_F(WatchLoopTest, StopsAnIdleMachineOnceIdleForTheAutostopTime) {
  run_until(kStart + 3600);
  EXPECT_EQ(power.offs, Times{kStart + 60});  // not at +55, and once: it is going down
  EXPECT_EQ(power.tags, std::vector<std::string>{""});
  EXPECT_TRUE(
      logged(std::string("watch: idle since ") + kStartText + " (autostop 60 s): stopping now\n"));
  EXPECT_TRUE(logged("watch: sudo -n shutdown -h now accepted"));
}

TEST_F(WatchLoopTest, AnExecutingKernelKeepsItRunning) {
  sensors.executing = true;
  run_until(kStart + 3600);
  EXPECT_EQ(power.offs, Times{});
  EXPECT_TRUE(logged("watch: busy (kernel executing)"));
}

// The GPU above the threshold is busy; below it is idle, and idleness counts from the last busy
// sample.
TEST_F(WatchLoopTest, ABusyGpuKeepsItRunningUntilItFallsBelowTheThreshold) {
  sensors.gpu_busy = 50;
  sensors.gpu_idle = 9;
  sensors.gpu_busy_until = kStart + 100;
  run_until(kStart + 3600);
  EXPECT_EQ(power.offs, Times{kStart + 95 + 60});
  EXPECT_TRUE(logged("watch: busy (gpu 50%)"));
}

// b. A refused power-off is tried again after the retry interval (60 s), not at every sample.
TEST_F(WatchLoopTest, RetriesAFailedPowerOffAtItsIntervalUntilItIsAccepted) {
  power.failures = 2;
  run_until(kStart + 3600);
  EXPECT_EQ(power.offs, (Times{kStart + 60, kStart + 120, kStart + 180}));
  EXPECT_TRUE(logged("no shutdown command was accepted (test)"));
  EXPECT_TRUE(logged("watch: sudo -n shutdown -h now accepted"));
}

// c. --autodown with work the laptop has not pulled: stopped (disk kept, tagged), never
// terminated.
TEST_F(WatchLoopTest, AutodownWithUnpulledWorkStopsInsteadOfTerminating) {
  settings.idle.autodown = true;
  sensors.unpulled = "nb.ipynb changed after the last pull";
  run_until(kStart + 600);
  EXPECT_EQ(sensors.asked_workspace, "~/work/nb");
  EXPECT_EQ(power.terminations, Times{});
  EXPECT_EQ(power.offs, Times{kStart + 60});
  EXPECT_EQ(power.tags, std::vector<std::string>{"autodown"});
  EXPECT_TRUE(logged("autodown: nb.ipynb changed after the last pull; stopping (disk kept)"));
  EXPECT_TRUE(logged("stopping now (autodown: kept for the next pull)"));
}

TEST_F(WatchLoopTest, AutodownWithEverythingPulledTerminates) {
  settings.idle.autodown = true;
  run_until(kStart + 600);
  EXPECT_EQ(power.terminations, Times{kStart + 60});
  EXPECT_EQ(power.offs, Times{});
  EXPECT_TRUE(logged("autodown: the workspace is pulled; terminating now"));
}

TEST_F(WatchLoopTest, AutodownThatCannotTerminateStopsInstead) {
  settings.idle.autodown = true;
  power.terminate_error = "the terminate URL expired";
  run_until(kStart + 600);
  EXPECT_EQ(power.terminations, Times{kStart + 60});
  EXPECT_EQ(power.offs, Times{kStart + 60});
  EXPECT_EQ(power.tags, std::vector<std::string>{"autodown"});
  EXPECT_TRUE(logged("autodown cannot terminate: the terminate URL expired; stopping instead"));
}

// A shutdown that terminates (set by an older laptop) is refused while work is unpulled.
TEST_F(WatchLoopTest, ShutdownThatTerminatesIsRefusedWithUnpulledWork) {
  settings.terminate_on_shutdown = true;
  sensors.unpulled = "nb.ipynb changed after the last pull";
  run_until(kStart + 600);
  EXPECT_EQ(power.offs, Times{});
  EXPECT_EQ(power.terminations, Times{});
  EXPECT_TRUE(logged("autodown refused to terminate: nb.ipynb changed after the last pull"));
}

// d. A spot interruption notice checkpoints the open notebooks once, and is recorded.
TEST_F(WatchLoopTest, ASpotNoticeCheckpointsTheOpenNotebooksOnce) {
  settings.spot = true;
  settings.idle.autostop = 0;
  sensors.notebooks = {{8888, "not-a-secret", "a.ipynb"}, {8888, "not-a-secret", "b/c.ipynb"}};
  sensors.unsavable = "b/c.ipynb";
  sensors.notice_at = kStart + 30;
  run_until(kStart + 600);
  EXPECT_EQ(sensors.checkpoints, Times{kStart + 30});
  EXPECT_EQ(sensors.spot_polls, 7);  // kStart, +5 ... +30; none once noticed
  auto record = spot_record();
  EXPECT_EQ(record["notice"]["action"], "terminate");
  EXPECT_EQ(record["saved"], nlohmann::json::array({"a.ipynb"}));
  EXPECT_TRUE(logged("watch: checkpointed 1 of 2 open notebooks"));
  EXPECT_EQ(power.offs, Times{});
}

TEST_F(WatchLoopTest, WithoutSpotTheNoticeIsNeverAskedFor) {
  sensors.notice_at = kStart;
  run_until(kStart + 600);
  EXPECT_EQ(sensors.spot_polls, 0);
  EXPECT_EQ(sensors.checkpoints, Times{});
}

}  // namespace
}  // namespace gpunb::agent
