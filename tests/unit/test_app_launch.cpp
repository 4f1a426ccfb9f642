// The launch rules of `up`, run against a scripted provider: the intent row is written before
// anything costs money and kept while the outcome is unknown, a resumed launch reuses its token
// and adopts what the cut-short run made, and capacity fails over in a fixed order.
#include <gtest/gtest.h>

#include "app/up.hpp"
#include "fake_provider.hpp"
#include "test_app_context.hpp"

namespace gpunb::app {

namespace {

using testing::FakeServices;

class LaunchTest : public AppTempDirTest {
 protected:
  void SetUp() override {
    AppTempDirTest::SetUp();
    std::filesystem::create_directories(dir_ / "work");
  }

  static core::MachineSpec spec() {
    core::MachineSpec spec;
    spec.name = "box";
    spec.types = {"g5.xlarge"};
    spec.region = "us-east-1";
    spec.ssh_cidr = "203.0.113.7/32";
    return spec;
  }

  core::Machine launch(const std::string& token, bool resume = false) {
    ProgressLine progress(context_);
    return launch_new(context_, spec(), token, resume, progress);
  }

  // The ErrorKind launch_new threw with.
  core::ErrorKind launch_error(const std::string& token, bool resume = false) {
    try {
      launch(token, resume);
    } catch (const core::Fatal& fatal) {
      return fatal.error().kind;
    }
    ADD_FAILURE() << "launch_new did not throw";
    return core::ErrorKind::internal;
  }

  // `gpunb up box --no-connect`, as a rerun would be.
  core::Machine up_again() {
    UpRequest request;
    request.name = "box";
    request.types = {"g5.xlarge"};
    request.ssh_cidr = "203.0.113.7/32";
    request.workspace = (dir_ / "work").string();
    request.no_connect = true;
    return up(context_, request);
  }

  std::optional<core::Machine> row() { return core::value_or_throw(context_.ledger().find("box")); }

  std::vector<std::string> tokens() const {
    std::vector<std::string> tokens;
    for (const auto& call : services_.fake.launches) tokens.push_back(call.client_token);
    return tokens;
  }

  util::MapEnv env_{{{"HOME", dir_.string()},
                     {"XDG_STATE_HOME", (dir_ / "state").string()},
                     {"XDG_CONFIG_HOME", (dir_ / "config").string()},
                     {"AWS_REGION", "us-east-1"}}};
  base::Logger log_{stderr, base::LogLevel::quiet};
  SettableClock clock_;
  FakeServices services_;
  Context context_{env_, log_, clock_, Output{}, GlobalOptions{}, services_};
};

}  // namespace

TEST_F(LaunchTest, TheIntentIsInTheLedgerBeforeTheProviderLaunches) {
  std::optional<core::Machine> seen;
  services_.fake.before_launch = [&] { seen = row(); };
  services_.fake.launch_succeeds("i-1");
  launch("tok-1");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->state, core::MachineState::intent);
  EXPECT_EQ(seen->client_token, "tok-1");
  EXPECT_EQ(seen->region, "us-east-1");
  EXPECT_EQ(services_.fake.calls, (std::vector<std::string>{"prepare", "launch"}));
}

TEST_F(LaunchTest, ALaunchedMachineReplacesItsIntent) {
  services_.fake.launch_succeeds("i-1");
  auto machine = launch("tok-1");
  EXPECT_EQ(machine.id, "i-1");
  ASSERT_TRUE(row());
  EXPECT_EQ(row()->id, "i-1");
  EXPECT_EQ(row()->state, core::MachineState::running);
  EXPECT_EQ(row()->client_token, "tok-1");
}

TEST_F(LaunchTest, ANetworkErrorKeepsTheIntent) {
  services_.fake.launch_fails(core::ErrorKind::network, "connection reset");
  EXPECT_EQ(launch_error("tok-1"), core::ErrorKind::network);
  ASSERT_TRUE(row()) << "the outcome is unknown: the next run must be able to adopt";
  EXPECT_EQ(row()->state, core::MachineState::intent);
  EXPECT_EQ(row()->client_token, "tok-1");
  EXPECT_TRUE(row()->id.empty());
}

TEST_F(LaunchTest, NoCapacityAnywhereRemovesTheIntent) {
  services_.fake.launch_fails(core::ErrorKind::capacity, "no capacity for any requested type");
  EXPECT_EQ(launch_error("tok-1"), core::ErrorKind::capacity);
  EXPECT_FALSE(row());
}

TEST_F(LaunchTest, RejectedCredentialsRemoveTheIntent) {
  services_.fake.launch_fails(core::ErrorKind::credentials, "AWS rejected the credentials");
  EXPECT_EQ(launch_error("tok-1"), core::ErrorKind::credentials);
  EXPECT_FALSE(row());
}

TEST_F(LaunchTest, AnUnknownTypeRemovesTheIntent) {
  services_.fake.launch_fails(core::ErrorKind::not_found, "unknown instance type");
  EXPECT_EQ(launch_error("tok-1"), core::ErrorKind::not_found);
  EXPECT_FALSE(row());
}

TEST_F(LaunchTest, ARerunAfterANetworkErrorLaunchesAgainWithTheSameToken) {
  services_.fake.launch_fails(core::ErrorKind::network, "connection reset");  // nothing made
  EXPECT_EQ(launch_error("tok-1"), core::ErrorKind::network);
  services_.fake.launch_succeeds("i-2");
  auto machine = up_again();
  EXPECT_EQ(machine.id, "i-2");
  EXPECT_EQ(tokens(), (std::vector<std::string>{"tok-1", "tok-1"}));
  // The rerun looked for the instance by its tag before it launched again.
  EXPECT_EQ(services_.fake.calls,
            (std::vector<std::string>{"prepare", "launch", "list", "prepare", "launch"}));
  EXPECT_EQ(row()->client_token, "tok-1");
  EXPECT_EQ(services_.fake.cloud.size(), 1u);
}

TEST_F(LaunchTest, ARerunAdoptsTheInstanceALostReplyMade) {
  services_.fake.launch_made_but_reply_lost("i-1");
  EXPECT_EQ(launch_error("tok-1"), core::ErrorKind::network);
  auto machine = up_again();
  EXPECT_EQ(machine.id, "i-1");
  EXPECT_EQ(services_.fake.launches.size(), 1u) << "a second instance was launched";
  EXPECT_EQ(services_.fake.cloud.size(), 1u);
  ASSERT_TRUE(row());
  EXPECT_EQ(row()->id, "i-1");
  EXPECT_EQ(row()->client_token, "tok-1");
  EXPECT_EQ(row()->state, core::MachineState::running);
}

TEST_F(LaunchTest, AResumedLaunchPassesItsTokenToTheProvider) {
  services_.fake.launch_made_but_reply_lost("i-1");
  EXPECT_EQ(launch_error("tok-1"), core::ErrorKind::network);
  // Even where the cloud does not list the instance yet, the same token answers with it.
  auto machine = launch("tok-1", true);
  EXPECT_EQ(machine.id, "i-1");
  EXPECT_EQ(tokens(), (std::vector<std::string>{"tok-1", "tok-1"}));
  EXPECT_EQ(services_.fake.cloud.size(), 1u);
  EXPECT_EQ(row()->id, "i-1");
}

}  // namespace gpunb::app
