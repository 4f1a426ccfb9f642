// `up`'s launch through the real EC2 provider over scripted HTTP: the capacity failover (every
// zone of the first type, then each fallback type) lives in providers/ec2, so it is checked on the
// RunInstances requests themselves. The Services seam keeps RealServices and swaps libcurl only.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "app/up.hpp"
#include "providers/ec2/launch.hpp"
#include "test_app_context.hpp"
#include "test_aws_ec2_fakes.hpp"

namespace gpunb::app {

namespace {

using aws::testing::FakeHttp;

// Hands out the test's one scripted client wherever RealServices would make a libcurl one.
class ScriptedHttpServices : public RealServices {
 public:
  explicit ScriptedHttpServices(FakeHttp& http) : http_(http) {}
  std::unique_ptr<net::Http> make_http() override { return std::make_unique<Borrowed>(http_); }

 private:
  struct Borrowed : net::Http {
    explicit Borrowed(FakeHttp& http) : target(http) {}
    core::Result<net::HttpResponse> send(const net::HttpRequest& request) override {
      return target.send(request);
    }
    FakeHttp& target;
  };
  FakeHttp& http_;
};

using Attempt = std::tuple<std::string, std::string, std::string>;  // type, zone, token

class Ec2LaunchTest : public AppTempDirTest {
 protected:
  // What prepare() asks: types, image, key pair, security group and its SSH rule.
  void script_prepare() {
    for (const char* file :
         {"describe_instance_types.xml", "describe_images.xml", "describe_key_pairs.xml",
          "describe_security_groups.xml", "authorize_security_group_ingress.xml"})
      http_.reply_file(file);
    http_.reply_file("describe_availability_zones.xml");  // us-east-1a, us-east-1c available
  }
  void no_capacity(int times) {
    for (int i = 0; i < times; ++i)
      http_.reply(500, aws::testing::data_file("error_insufficient_capacity.xml"));
  }

  core::Machine launch(const std::string& token) {
    core::MachineSpec spec;
    spec.name = "box";
    spec.types = {"g5.xlarge", "p3.8xlarge"};
    spec.region = "us-east-1";
    spec.ssh_cidr = "203.0.113.7/32";
    ProgressLine progress(context_);
    return launch_new(context_, spec, token, false, progress);
  }

  std::vector<Attempt> attempts() const {
    std::vector<Attempt> seen;
    for (const auto& request : http_.requests) {
      auto params = aws::testing::form(request);
      if (params["Action"] != "RunInstances") continue;
      seen.emplace_back(params["InstanceType"], params["Placement.AvailabilityZone"],
                        params["ClientToken"]);
    }
    return seen;
  }

  static Attempt expected(const std::string& type, const std::string& zone) {
    return {type, zone, providers::ec2::attempt_token("tok-1", type, zone)};
  }

  FakeHttp http_;
  util::MapEnv env_{{{"HOME", dir_.string()},
                     {"XDG_STATE_HOME", (dir_ / "state").string()},
                     {"XDG_CONFIG_HOME", (dir_ / "config").string()},
                     {"AWS_REGION", "us-east-1"},
                     {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE7Q2W"},
                     {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}};
  base::Logger log_{stderr, base::LogLevel::quiet};
  SettableClock clock_;
  ScriptedHttpServices services_{http_};
  Context context_{env_, log_, clock_, Output{}, GlobalOptions{}, services_};
};

}  // namespace

TEST_F(Ec2LaunchTest, CapacityFailsOverToEveryZoneThenTheFallbackType) {
  script_prepare();
  no_capacity(3);
  http_.reply_file("run_instances.xml");
  auto machine = launch("tok-1");
  EXPECT_EQ(machine.id, "i-0123456789abcdef0");
  EXPECT_EQ(attempts(),
            (std::vector<Attempt>{
                expected("g5.xlarge", "us-east-1a"), expected("g5.xlarge", "us-east-1c"),
                expected("p3.8xlarge", "us-east-1a"), expected("p3.8xlarge", "us-east-1c")}));
  // Each attempt has a token of its own, so EC2 cannot answer one with another's instance.
  std::set<std::string> tokens;
  for (const auto& attempt : attempts()) tokens.insert(std::get<2>(attempt));
  EXPECT_EQ(tokens.size(), 4u);
  auto row = core::value_or_throw(context_.ledger().find("box"));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->id, "i-0123456789abcdef0");
  EXPECT_EQ(row->client_token, "tok-1");
}

TEST_F(Ec2LaunchTest, NoCapacityAnywhereTriesEachChoiceOnceAndRemovesTheIntent) {
  script_prepare();
  no_capacity(4);
  try {
    launch("tok-1");
    FAIL() << "launch_new did not throw";
  } catch (const core::Fatal& fatal) {
    EXPECT_EQ(fatal.error().kind, core::ErrorKind::capacity);
    EXPECT_NE(fatal.error().message.find("p3.8xlarge in us-east-1c"), std::string::npos)
        << fatal.error().message;
  }
  EXPECT_EQ(attempts().size(), 4u);
  EXPECT_FALSE(core::value_or_throw(context_.ledger().find("box")));
}

TEST_F(Ec2LaunchTest, ANetworkErrorStopsTheFailoverAndKeepsTheIntent) {
  script_prepare();
  no_capacity(1);
  for (int i = 0; i < 3; ++i) http_.fail("connection reset");  // the client's own retries too
  EXPECT_THROW(launch("tok-1"), core::Fatal);
  // The client retried the same attempt with the same token; the failover went no further.
  EXPECT_EQ(attempts(),
            (std::vector<Attempt>{
                expected("g5.xlarge", "us-east-1a"), expected("g5.xlarge", "us-east-1c"),
                expected("g5.xlarge", "us-east-1c"), expected("g5.xlarge", "us-east-1c")}));
  auto row = core::value_or_throw(context_.ledger().find("box"));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, core::MachineState::intent);
  EXPECT_EQ(row->client_token, "tok-1");
}

}  // namespace gpunb::app
