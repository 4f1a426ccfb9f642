// IdlePolicy (the idle decision) and the watcher's pure helpers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/host/http.hpp"
#include "agent/watch/boot.hpp"
#include "agent/watch/idle_policy.hpp"
#include "agent/watch/power.hpp"
#include "agent/watch/self.hpp"
#include "agent/watch/settings.hpp"
#include "agent/watch/signals.hpp"
#include "agent/watch/spot.hpp"
#include "agent/watch/tcp.hpp"

namespace gpunb::agent {
namespace {

IdleSettings short_settings() {
  IdleSettings s;
  s.autostop = 60;
  s.window = 20;
  s.interval = 5;
  s.gpu_busy_percent = 10;
  return s;
}

IdleSample at(Seconds now) {
  IdleSample s;
  s.now = now;
  return s;
}

// --max-hours: the cap stops a machine however busy it is, counted from the start of its run.
TEST(MaxHours, StopsABusyMachineAtTheCap) {
  auto settings = short_settings();
  settings.max_running = 4 * 3600;
  settings.running_since = 1000;
  IdlePolicy policy(settings, 1000);
  auto busy = at(1000 + 4 * 3600 - 1);
  busy.kernel_executing = true;
  auto before = policy.observe(busy);
  EXPECT_TRUE(before.busy);
  EXPECT_FALSE(before.stop_now);
  EXPECT_EQ(before.cap_at, 1000 + 4 * 3600);
  busy.now += 1;
  auto capped = policy.observe(busy);
  EXPECT_TRUE(capped.busy);
  EXPECT_TRUE(capped.stop_now);
  EXPECT_TRUE(capped.capped);
}

TEST(MaxHours, OffByDefaultAndIdleStopIsNotTheCap) {
  IdlePolicy policy(short_settings(), 1000);
  auto decision = policy.observe(at(1000 + 60));
  EXPECT_TRUE(decision.stop_now);
  EXPECT_FALSE(decision.capped);
  EXPECT_EQ(decision.cap_at, 0);
}

TEST(MaxHours, ReconfiguringDoesNotRestartTheCap) {
  auto settings = short_settings();
  settings.autostop = 0;
  settings.max_running = 3600;
  settings.running_since = 1000;
  IdlePolicy policy(settings, 1000);
  policy.configure(settings, 1000 + 3000);  // a new setting restarts the idle clock only
  EXPECT_TRUE(policy.observe(at(1000 + 3600)).capped);
}

TEST(MaxHours, SettingsRoundTripAndRange) {
  auto json = nlohmann::json{{"max_running_s", 7200}, {"running_since", 1234}};
  auto settings = settings_from_json(json);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->idle.max_running, 7200);
  EXPECT_EQ(settings_json(*settings)["max_running_s"], 7200);
  EXPECT_EQ(settings_json(*settings)["running_since"], 1234);
  EXPECT_FALSE(settings_from_json({{"max_running_s", 721 * 3600}}));
  EXPECT_FALSE(settings_from_json({{"max_running_s", -1}}));
}

TEST(TerminateReply, OnlyTheActionsResponseIsSuccess) {
  EXPECT_TRUE(check_self_reply(200,
                               "<TerminateInstancesResponse xmlns=\"x\"><requestId>r</requestId>",
                               "TerminateInstances"));
  auto expired = check_self_reply(
      400, "<Response><Errors><Error><Code>RequestExpired</Code></Error></Errors></Response>",
      "TerminateInstances");
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().message, "TerminateInstances refused (HTTP 400, RequestExpired)");
  EXPECT_FALSE(check_self_reply(200, "<html>captive portal</html>", "TerminateInstances"));
}

TEST(TerminateReply, UrlsComeFromTheRequestAndStayPrivate) {
  nlohmann::json request{{"self",
                          {{"terminate", "http://e/?a=1"},
                           {"stopped_by", {{"autodown", "http://e/?t=1"}}},
                           {"expires_s", 600}}}};
  auto urls = self_urls_from(request, 1000);
  ASSERT_TRUE(urls);
  EXPECT_EQ(urls->expires_at, 1600);
  auto dir = std::filesystem::temp_directory_path() / ("gpunb-self-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(write_self_urls(dir / "self.json", *urls));
  struct stat st {};
  ASSERT_EQ(::stat((dir / "self.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto back = read_self_urls(dir / "self.json");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->terminate, "http://e/?a=1");
  EXPECT_EQ(back->stopped_by.at("autodown"), "http://e/?t=1");
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(self_urls_from(nlohmann::json{{"autostop_s", 60}}, 1000));
}

TEST(IdlePolicy, IdleMachineStopsAfterAutostop) {
  IdlePolicy policy(short_settings(), 1000);
  auto early = policy.observe(at(1030));
  EXPECT_FALSE(early.busy);
  EXPECT_EQ(early.idle_since, 1000);
  EXPECT_EQ(early.stop_at, 1060);
  EXPECT_FALSE(early.stop_now);
  EXPECT_TRUE(policy.observe(at(1060)).stop_now);
}

TEST(IdlePolicy, ExecutingKernelKeepsItBusyAndRestartsTheClock) {
  IdlePolicy policy(short_settings(), 1000);
  auto sample = at(1100);
  sample.kernel_executing = true;
  auto busy = policy.observe(sample);
  EXPECT_TRUE(busy.busy);
  EXPECT_FALSE(busy.stop_now);
  ASSERT_EQ(busy.reasons.size(), 1u);
  EXPECT_EQ(busy.reasons[0], "kernel executing");
  auto after = policy.observe(at(1130));
  EXPECT_FALSE(after.busy);
  EXPECT_EQ(after.stop_at, 1160);
}

TEST(IdlePolicy, GpuAboveThresholdIsBusyBelowIsNot) {
  IdlePolicy policy(short_settings(), 0);
  auto hot = at(500);
  hot.gpu_percent = 93;
  auto decision = policy.observe(hot);
  EXPECT_TRUE(decision.busy);
  EXPECT_EQ(decision.reasons[0], "gpu 93%");
  auto cool = at(505);
  cool.gpu_percent = 3;
  EXPECT_FALSE(policy.observe(cool).busy);
}

TEST(IdlePolicy, TransferKeepsItBusy) {
  IdlePolicy policy(short_settings(), 0);
  auto sample = at(5000);
  sample.transfer_running = true;
  EXPECT_TRUE(policy.observe(sample).busy);
  EXPECT_EQ(policy.observe(at(5001)).idle_since, 5000);
}

TEST(IdlePolicy, RecentActivityIsBusyWithinTheWindowAndCountsFromItsTime) {
  IdlePolicy policy(short_settings(), 0);
  auto sample = at(1000);
  sample.last_kernel_activity = 990;
  auto decision = policy.observe(sample);
  EXPECT_TRUE(decision.busy);
  EXPECT_EQ(decision.reasons[0], "notebook activity");
  sample.now = 1015;  // 25 s after the activity: past the 20 s window
  decision = policy.observe(sample);
  EXPECT_FALSE(decision.busy);
  EXPECT_EQ(decision.idle_since, 990);
  EXPECT_EQ(decision.stop_at, 1050);
}

TEST(IdlePolicy, SshTrafficAndFutureTimestamps) {
  IdlePolicy policy(short_settings(), 0);
  auto sample = at(100);
  sample.last_ssh_traffic = 5000;  // a clock ahead of ours counts as now
  auto decision = policy.observe(sample);
  EXPECT_TRUE(decision.busy);
  EXPECT_EQ(decision.reasons[0], "ssh traffic");
  EXPECT_EQ(decision.idle_since, 100);
}

TEST(IdlePolicy, AutostopOffNeverStops) {
  auto settings = short_settings();
  settings.autostop = 0;
  IdlePolicy policy(settings, 0);
  auto decision = policy.observe(at(1000000));
  EXPECT_FALSE(decision.busy);
  EXPECT_FALSE(decision.stop_now);
  EXPECT_EQ(decision.stop_at, 0);
}

TEST(IdlePolicy, ConfiguringRestartsTheIdleClock) {
  IdlePolicy policy(short_settings(), 0);
  EXPECT_TRUE(policy.observe(at(1000)).stop_now);
  auto settings = short_settings();
  settings.autostop = 30;
  policy.configure(settings, 1000);
  auto decision = policy.observe(at(1001));
  EXPECT_FALSE(decision.stop_now);
  EXPECT_EQ(decision.stop_at, 1030);
  EXPECT_EQ(policy.settings().autostop, 30);
}

TEST(WatchHelpers, ParsesIsoTimes) {
  EXPECT_EQ(parse_iso_time("1970-01-01T00:01:40Z"), 100);
  EXPECT_EQ(parse_iso_time("2024-05-01T12:00:00.123456Z"), 1714564800);
  EXPECT_EQ(parse_iso_time("2024-05-01T14:00:00.5+02:00"), 1714564800);
  EXPECT_FALSE(parse_iso_time("yesterday"));
}

TEST(WatchHelpers, ParsesNvidiaSmi) {
  EXPECT_EQ(parse_gpu_percent("3\n97\n0\n"), 97);
  EXPECT_FALSE(parse_gpu_percent("NVIDIA-SMI has failed\n"));
}

TEST(WatchHelpers, Endpoints) {
  auto endpoint = parse_endpoint("http://127.0.0.1:8123/");
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->ip, "127.0.0.1");
  EXPECT_EQ(endpoint->port, 8123);
  EXPECT_EQ(parse_endpoint("http://169.254.169.254")->port, 80);
  EXPECT_FALSE(parse_endpoint("http://metadata.google.internal"));
  EXPECT_FALSE(parse_endpoint("https://1.2.3.4"));
  EXPECT_EQ(url_path("a b/c%.ipynb"), "a%20b/c%25.ipynb");
}

TEST(WatchHelpers, CrontabKeepsOtherLinesAndReplacesOurs) {
  std::string current = "MAILTO=x\n@reboot /old/gpunb-agent watch\n0 * * * * backup\n";
  EXPECT_EQ(crontab_with(current, "@reboot '/new/gpunb-agent' watch"),
            "MAILTO=x\n0 * * * * backup\n@reboot '/new/gpunb-agent' watch\n");
}

TEST(WatchHelpers, SettingsRoundTripAndChecks) {
  WatchSettings settings;
  settings.idle.autostop = 90;
  settings.idle.autodown = true;
  settings.workspace = "~/work/nb";
  auto back = settings_from_json(settings_json(settings));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->idle.autostop, 90);
  EXPECT_TRUE(back->idle.autodown);
  EXPECT_EQ(back->workspace, "~/work/nb");
  EXPECT_FALSE(settings_from_json({{"interval_s", 0}}));
  EXPECT_FALSE(settings_from_json({{"autostop_s", "soon"}}));
  EXPECT_FALSE(settings_from_json({{"imds_endpoint", "169.254.169.254"}}));
}

// --autodown terminates only when no file of the workspace changed since its last whole pull.
TEST(WatchHelpers, UnpulledChangeNeedsAPullNewerThanEveryFile) {
  auto dir =
      std::filesystem::temp_directory_path() / ("gpunb-unpulled-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto state = dir / "state", work = dir / "work";
  std::filesystem::create_directories(state);
  std::filesystem::create_directories(work / ".ipynb_checkpoints");
  std::ofstream(work / "nb.ipynb") << "{}";
  auto set_mtime = [](const std::filesystem::path& path, std::time_t when) {
    timespec times[2] = {{when, 0}, {when, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  };
  set_mtime(work / "nb.ipynb", 1000);
  auto never = unpulled_change(state, work.string());
  ASSERT_TRUE(never);
  EXPECT_NE(never->find("never pulled"), std::string::npos);
  auto pulled_at = [&](long long when) {
    std::ofstream(state / "pulls.json")
        << nlohmann::json{{std::filesystem::weakly_canonical(work).string(), when}}.dump();
  };
  pulled_at(2000);
  EXPECT_FALSE(unpulled_change(state, work.string()));  // pulled after the last change
  std::ofstream(work / ".ipynb_checkpoints" / "nb-checkpoint.ipynb") << "{}";
  EXPECT_FALSE(unpulled_change(state, work.string()));  // checkpoints are not work
  std::filesystem::create_directories(work / "sub");
  std::ofstream(work / "sub" / "result.txt") << "fresh";
  set_mtime(work / "sub" / "result.txt", 2500);
  auto changed = unpulled_change(state, work.string());
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, "sub/result.txt changed after the last pull");
  pulled_at(3000);
  EXPECT_FALSE(unpulled_change(state, work.string()));
  std::filesystem::remove_all(dir);
}

TcpSocket sock(std::uint64_t cookie, int local, int remote, std::uint64_t bytes) {
  return {cookie, local, remote, true, false, bytes};
}

TEST(TcpTraffic, CountsMovingForwardedConnectionsOnly) {
  TcpTraffic traffic;
  TcpSocket listen{1, 6006, 0, true, true, 0};
  std::vector<TcpSocket> sockets{listen, sock(2, 6006, 40000, 100), sock(3, 40000, 6006, 100)};
  EXPECT_FALSE(traffic.moved(sockets, {}));  // the first sample sets the baseline
  EXPECT_FALSE(traffic.moved(sockets, {}));  // open, idle: not busy
  sockets[1].bytes = 180;
  EXPECT_TRUE(traffic.moved(sockets, {}));
  sockets[1].bytes = 260;
  EXPECT_FALSE(traffic.moved(sockets, {6006}));  // an excluded port (Jupyter's own)
  sockets.push_back(sock(4, 6006, 40001, 0));
  EXPECT_FALSE(traffic.moved(sockets, {}));  // a new connection that carried nothing
  sockets.push_back(sock(5, 6006, 40002, 50));
  EXPECT_TRUE(traffic.moved(sockets, {}));
  auto remote = sock(6, 6006, 40003, 10);
  remote.loopback = false;
  sockets = {listen, remote};
  EXPECT_FALSE(traffic.moved(sockets, {}));
}

}  // namespace
}  // namespace gpunb::agent
