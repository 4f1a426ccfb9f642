#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/files.hpp"
#include "core/config.hpp"

namespace gpunb::core {

namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("gpunb-config-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
  }
  void TearDown() override { std::filesystem::remove(path_); }

  Result<Config> load(const std::string& text) {
    std::ofstream(path_) << text;
    return load_config(path_);
  }

  std::filesystem::path path_;
};

}  // namespace

TEST_F(ConfigTest, MissingFileIsEmpty) {
  auto config = load_config(path_);
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->region);
  EXPECT_TRUE(config->types.empty());
  EXPECT_TRUE(config->unknown_keys.empty());
}

TEST_F(ConfigTest, ReadsAllKeys) {
  auto config = load(R"(
region = "eu-west-1"
profile = "work"
type = "g5.xlarge, g4dn.xlarge"
disk = 200
ssh_cidr = "203.0.113.7/32"
ami = "ami-123"
user = "ec2-user"
autostop = "2h"
[prices]
"g5.xlarge" = 1.006
"g4dn.xlarge" = "0.526"
p3 = 3
)");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->region, "eu-west-1");
  EXPECT_EQ(config->profile, "work");
  EXPECT_EQ(config->types, (std::vector<std::string>{"g5.xlarge", "g4dn.xlarge"}));
  EXPECT_EQ(config->disk_gb, 200);
  EXPECT_EQ(config->ssh_cidr, "203.0.113.7/32");
  EXPECT_EQ(config->ami, "ami-123");
  EXPECT_EQ(config->user, "ec2-user");
  EXPECT_EQ(config->autostop_minutes, 120);
  EXPECT_EQ(config->prices.at("g5.xlarge"), "1.006");
  EXPECT_EQ(config->prices.at("g4dn.xlarge"), "0.526");
  EXPECT_EQ(config->prices.at("p3"), "3");
}

TEST_F(ConfigTest, TypeAsArrayAndUnquotedPriceKeys) {
  auto config = load("type = [\"g6.xlarge\", \"g5.xlarge\"]\n[prices]\ng6.xlarge = 0.805\n");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->types, (std::vector<std::string>{"g6.xlarge", "g5.xlarge"}));
  EXPECT_EQ(config->prices.at("g6.xlarge"), "0.805");
}

TEST_F(ConfigTest, AutostopForms) {
  auto off = load("autostop = \"off\"\n");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->autostop_minutes, 0);
  auto minutes = load("autostop = 45\n");
  ASSERT_TRUE(minutes);
  EXPECT_EQ(minutes->autostop_minutes, 45);
  EXPECT_EQ(parse_autostop("60m"), 60);
  EXPECT_EQ(parse_autostop(" 90 "), 90);
  EXPECT_EQ(parse_autostop("30min"), 30);
  EXPECT_EQ(parse_autostop("Never"), 0);
  EXPECT_FALSE(parse_autostop("m"));
  EXPECT_FALSE(parse_autostop("-5m"));
  EXPECT_FALSE(parse_autostop("10s"));
  EXPECT_FALSE(parse_autostop("99999h"));
  auto bad = load("autostop = \"soon\"\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("`autostop`"), std::string::npos);
}

TEST_F(ConfigTest, HostKeyWaitTakesDurationsAndRefusesOthers) {
  auto text = load("host_key_wait = \"90s\"\n");
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(text->host_key_wait_s, 90);
  auto minutes = load("host_key_wait = 10\n");
  ASSERT_TRUE(minutes);
  EXPECT_EQ(minutes->host_key_wait_s, 600);
  EXPECT_FALSE(load("")->host_key_wait_s);
  auto bad = load("host_key_wait = \"later\"\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("`host_key_wait`"), std::string::npos);
}

TEST_F(ConfigTest, MaxHoursForms) {
  auto hours = load("max_hours = 4\n");
  ASSERT_TRUE(hours) << hours.error().message;
  EXPECT_EQ(hours->max_hours, 4.0);
  auto fraction = load("max_hours = 0.5\n");
  ASSERT_TRUE(fraction);
  EXPECT_EQ(fraction->max_hours, 0.5);
  auto text = load("max_hours = \"8h\"\n");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->max_hours, 8.0);
  auto off = load("max_hours = \"off\"\n");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->max_hours, 0.0);
  for (const char* bad :
       {"max_hours = 721\n", "max_hours = 0.001\n", "max_hours = -1\n", "max_hours = \"soon\"\n"}) {
    auto refused = load(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message.find("max_hours"), std::string::npos) << bad;
  }
  EXPECT_EQ(parse_max_hours("0.01"), 0.01);
  EXPECT_EQ(parse_max_hours("720"), 720.0);
  EXPECT_FALSE(parse_max_hours("720.5"));
  EXPECT_FALSE(parse_max_hours("4h30m"));
  EXPECT_FALSE(parse_max_hours(""));
}

TEST_F(ConfigTest, ParseErrorNamesFileLineAndColumn) {
  auto config = load("region = \"eu-west-1\"\ndisk = = 3\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::usage);
  EXPECT_EQ(config.error().message.rfind(path_.string() + ":2:", 0), 0u) << config.error().message;
}

TEST_F(ConfigTest, WrongTypeNamesTheKey) {
  auto config = load("region = \"x\"\ndisk = \"big\"\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().kind, ErrorKind::usage);
  EXPECT_NE(config.error().message.find("`disk`"), std::string::npos);
  EXPECT_NE(config.error().message.find(":2:"), std::string::npos) << config.error().message;
  EXPECT_FALSE(load("region = 3\n"));
  EXPECT_FALSE(load("type = [1, 2]\n"));
  EXPECT_FALSE(load("type = \" , \"\n"));
  EXPECT_FALSE(load("disk = 0\n"));
  EXPECT_FALSE(load("prices = 3\n"));
  auto price = load("[prices]\n\"g5.xlarge\" = \"cheap\"\n");
  ASSERT_FALSE(price);
  EXPECT_NE(price.error().message.find("`prices.g5.xlarge`"), std::string::npos);
}

TEST_F(ConfigTest, BadCidrRefused) {
  auto config = load("ssh_cidr = \"10.0.0.1\"\n");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("`ssh_cidr`"), std::string::npos);
}

TEST_F(ConfigTest, UnknownKeysCollected) {
  auto config = load("region = \"us-east-1\"\ncolour = \"blue\"\n[extra]\nx = 1\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->unknown_keys, (std::vector<std::string>{"colour", "extra"}));
}

TEST(ConfigCidr, AcceptsAndRejects) {
  EXPECT_TRUE(is_ipv4_cidr("0.0.0.0/0"));
  EXPECT_TRUE(is_ipv4_cidr("203.0.113.7/32"));
  EXPECT_TRUE(is_ipv4_cidr("10.0.0.0/8"));
  EXPECT_FALSE(is_ipv4_cidr("10.0.0.0"));
  EXPECT_FALSE(is_ipv4_cidr("10.0.0.0/33"));
  EXPECT_FALSE(is_ipv4_cidr("10.0.0/8"));
  EXPECT_FALSE(is_ipv4_cidr("10.0.0.0.0/8"));
  EXPECT_FALSE(is_ipv4_cidr("256.0.0.0/8"));
  EXPECT_FALSE(is_ipv4_cidr("01.0.0.0/8"));
  EXPECT_FALSE(is_ipv4_cidr("1.2.3.4/08"));
  EXPECT_FALSE(is_ipv4_cidr("1.2.3.4/"));
  EXPECT_FALSE(is_ipv4_cidr("a.b.c.d/1"));
  EXPECT_FALSE(is_ipv4_cidr("1.2.3.-4/1"));
  EXPECT_FALSE(is_ipv4_cidr("::1/128"));
}

TEST(ConfigPath, FollowsXdg) {
  util::MapEnv env(std::map<std::string, std::string>{{"HOME", "/home/u"}});
  EXPECT_EQ(config_path(env), std::filesystem::path("/home/u/.config/gpunb/config.toml"));
  util::MapEnv xdg(
      std::map<std::string, std::string>{{"HOME", "/home/u"}, {"XDG_CONFIG_HOME", "/x"}});
  EXPECT_EQ(config_path(xdg), std::filesystem::path("/x/gpunb/config.toml"));
}

}  // namespace gpunb::core

namespace gpunb::core {

TEST(ConfigMachines, SshHostsFromMachinesTables) {
  auto path = std::filesystem::temp_directory_path() / "gpunb-config-machines.toml";
  core::value_or_throw(base::write_atomic(
      path, "[machines.box]\nhost = \"me@10.1.2.3:2222\"\n[machines.other]\nhost = \"gpu1\"\n"));
  auto config = load_config(path);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->machines.at("box"), "me@10.1.2.3:2222");
  EXPECT_EQ(config->machines.at("other"), "gpu1");
  core::value_or_throw(base::write_atomic(path, "[machines.box]\nport = 22\n"));
  auto bad = load_config(path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("machines.box"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace gpunb::core
