// AWS settings resolved as the AWS CLI resolves them: flags, environment, ~/.aws files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "aws/credentials.hpp"
#include "aws/ini.hpp"
#include "base/hash.hpp"

namespace gpunb::aws {
namespace {

constexpr const char* kEnvSecret = "envSECRETenvSECRETenvSECRET";
constexpr const char* kFileSecret = "fileSECRETfileSECRETfileSECRET";

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() / ("gpunb-aws-" + base::random_hex(8));
    std::filesystem::create_directories(home_ / ".aws");
    vars_["HOME"] = home_.string();
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(home_ / ".aws" / name) << text;
  }
  core::Result<AwsContext> resolve(AwsOptions options = {}) {
    return resolve_context(options, util::MapEnv(vars_));
  }
  core::Error error(AwsOptions options = {}) {
    auto result = resolve(std::move(options));
    EXPECT_FALSE(result.has_value());
    return result ? core::Error{} : result.error();
  }
  void set_env_keys() {
    vars_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
    vars_["AWS_SECRET_ACCESS_KEY"] = kEnvSecret;
  }

  std::filesystem::path home_;
  std::map<std::string, std::string> vars_;
};

TEST_F(CredentialsTest, EnvironmentKeysWithRegion) {
  set_env_keys();
  vars_["AWS_SESSION_TOKEN"] = "TOKEN";
  vars_["AWS_REGION"] = "eu-west-1";
  auto context = resolve();
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(context->credentials.secret_access_key, kEnvSecret);
  EXPECT_EQ(context->credentials.session_token, "TOKEN");
  EXPECT_EQ(context->region, "eu-west-1");
  EXPECT_EQ(context->profile, "default");
  EXPECT_EQ(context->ec2_endpoint, "https://ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(context->s3_endpoint, "");
}

TEST_F(CredentialsTest, EnvironmentBeatsFilesUnlessProfileFlagGiven) {
  set_env_keys();
  write("credentials",
        std::string("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = ") +
            kFileSecret + "\n[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = w\n");
  vars_["AWS_REGION"] = "us-east-1";
  EXPECT_EQ(resolve()->credentials.access_key_id, "AKIAENV");
  vars_["AWS_PROFILE"] = "work";
  EXPECT_EQ(resolve()->credentials.access_key_id, "AKIAENV");  // AWS_PROFILE leaves env keys first
  EXPECT_EQ(resolve({.profile = "work"})->credentials.access_key_id,
            "AKIAWORK");  // as `aws --profile`
}

TEST_F(CredentialsTest, PartialEnvironmentNamesWhatIsMissingAndNoSecret) {
  vars_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  auto missing_secret = error();
  EXPECT_EQ(missing_secret.kind, core::ErrorKind::credentials);
  EXPECT_NE(missing_secret.message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  vars_.erase("AWS_ACCESS_KEY_ID");
  vars_["AWS_SECRET_ACCESS_KEY"] = kEnvSecret;
  auto missing_key = error();
  EXPECT_NE(missing_key.message.find("AWS_ACCESS_KEY_ID is not"), std::string::npos);
  EXPECT_EQ((missing_key.message + missing_key.hint).find(kEnvSecret), std::string::npos);
}

TEST_F(CredentialsTest, EmptyEnvironmentValuesCountAsUnset) {
  vars_["AWS_ACCESS_KEY_ID"] = "";
  vars_["AWS_SECRET_ACCESS_KEY"] = "";
  vars_["AWS_REGION"] = "";
  write("credentials", "[default]\naws_access_key_id=AKIAFILE\naws_secret_access_key=s\n");
  write("config", "[default]\nregion=ap-south-1\n");
  auto context = resolve();
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->credentials.access_key_id, "AKIAFILE");
  EXPECT_EQ(context->region, "ap-south-1");
}

TEST_F(CredentialsTest, CredentialsFileWinsOverConfigFile) {
  write("credentials", "[dev]\naws_access_key_id = AKIACRED\naws_secret_access_key = c\n");
  write("config",
        "[profile dev]\naws_access_key_id = AKIACONF\naws_secret_access_key = f\n"
        "aws_session_token = conf-token\nregion = us-west-2\n");
  auto context = resolve({.profile = "dev"});
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->credentials.access_key_id, "AKIACRED");
  EXPECT_EQ(context->credentials.session_token,
            "");  // the token comes with the keys, not from elsewhere
  EXPECT_EQ(context->region, "us-west-2");
  EXPECT_EQ(context->profile, "dev");
}

TEST_F(CredentialsTest, ConfigFileKeysAndSessionToken) {
  write("config",
        "[profile dev]\naws_access_key_id = AKIACONF\naws_secret_access_key = f\n"
        "aws_session_token = conf-token\nregion = us-west-2\n");
  vars_["AWS_PROFILE"] = "dev";
  auto context = resolve();
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->credentials.access_key_id, "AKIACONF");
  EXPECT_EQ(context->credentials.session_token, "conf-token");
}

TEST_F(CredentialsTest, ConfigDefaultSectionIsTheDefaultProfile) {
  write("config",
        "[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = d\nregion = eu-central-1\n"
        "[profile other]\nregion = us-east-2\n");
  auto context = resolve();
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->credentials.access_key_id, "AKIADEF");
  EXPECT_EQ(context->region, "eu-central-1");
}

TEST_F(CredentialsTest, CredentialsFileSectionsHaveNoProfilePrefix) {
  write("credentials", "[profile dev]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = x\n");
  auto failure = error({.profile = "dev", .region = "us-east-1"});
  EXPECT_EQ(failure.message, "AWS profile 'dev' not found in ~/.aws/credentials or ~/.aws/config");
}

TEST_F(CredentialsTest, FileLocationsFromEnvironment) {
  auto elsewhere = home_ / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  std::ofstream(elsewhere / "creds")
      << "[default]\naws_access_key_id = AKIAMOVED\naws_secret_access_key = m\n";
  std::ofstream(elsewhere / "conf") << "[default]\nregion = sa-east-1\n";
  write("credentials", "[default]\naws_access_key_id = AKIAHOME\naws_secret_access_key = h\n");
  vars_["AWS_SHARED_CREDENTIALS_FILE"] = (elsewhere / "creds").string();
  vars_["AWS_CONFIG_FILE"] = "~/elsewhere/conf";
  auto context = resolve();
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->credentials.access_key_id, "AKIAMOVED");
  EXPECT_EQ(context->region, "sa-east-1");
}

TEST_F(CredentialsTest, ProfileFlagBeatsAwsProfile) {
  write("credentials",
        "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = a\n"
        "[b]\naws_access_key_id = AKIAB\naws_secret_access_key = b\n");
  vars_["AWS_PROFILE"] = "b";
  vars_["AWS_REGION"] = "us-east-1";
  EXPECT_EQ(resolve({.profile = "a"})->credentials.access_key_id, "AKIAA");
  EXPECT_EQ(resolve()->credentials.access_key_id, "AKIAB");
  EXPECT_EQ(resolve()->profile, "b");
}

TEST_F(CredentialsTest, UnknownNamedProfileIsAnErrorEvenWithEnvKeys) {
  set_env_keys();
  vars_["AWS_PROFILE"] = "nope";
  auto failure = error({.region = "us-east-1"});
  EXPECT_EQ(failure.kind, core::ErrorKind::credentials);
  EXPECT_EQ(failure.message, "AWS profile 'nope' not found in ~/.aws/credentials or ~/.aws/config");
}

TEST_F(CredentialsTest, NoCredentialsAnywhere) {
  auto failure = error({.region = "us-east-1"});
  EXPECT_EQ(failure.kind, core::ErrorKind::credentials);
  EXPECT_EQ(failure.hint,
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`");
}

TEST_F(CredentialsTest, ProfileWithoutKeysNamesWhatItUses) {
  write("config", "[profile sso]\nsso_session = corp\nregion = us-east-1\n");
  auto failure = error({.profile = "sso"});
  EXPECT_EQ(failure.kind, core::ErrorKind::credentials);
  EXPECT_NE(failure.hint.find("sso_session"), std::string::npos);
  EXPECT_NE(failure.hint.find("export-credentials"), std::string::npos);
}

TEST_F(CredentialsTest, PartialFileCredentialsAreAnErrorWithoutTheSecret) {
  write("credentials", std::string("[default]\naws_secret_access_key = ") + kFileSecret + "\n");
  auto failure = error({.region = "us-east-1"});
  EXPECT_EQ(failure.kind, core::ErrorKind::credentials);
  EXPECT_NE(failure.message.find("no aws_access_key_id"), std::string::npos);
  EXPECT_EQ((failure.message + failure.hint).find(kFileSecret), std::string::npos);
}

TEST_F(CredentialsTest, RegionPrecedence) {
  set_env_keys();
  write("config", "[default]\nregion = eu-north-1\n");
  AwsOptions options{.region = "us-east-1", .config_region = "ca-central-1"};
  vars_["AWS_REGION"] = "us-west-1";
  vars_["AWS_DEFAULT_REGION"] = "us-west-2";
  EXPECT_EQ(resolve(options)->region, "us-east-1");
  options.region.reset();
  EXPECT_EQ(resolve(options)->region, "us-west-1");
  vars_.erase("AWS_REGION");
  EXPECT_EQ(resolve(options)->region, "us-west-2");
  vars_.erase("AWS_DEFAULT_REGION");
  EXPECT_EQ(resolve(options)->region, "ca-central-1");
  options.config_region.reset();
  EXPECT_EQ(resolve(options)->region, "eu-north-1");
  EXPECT_EQ(resolve_region(options, util::MapEnv(vars_)), "eu-north-1");
}

TEST_F(CredentialsTest, RegionOnlyFromConfigFileNotCredentialsFile) {
  write("credentials",
        "[default]\naws_access_key_id = AKIAF\naws_secret_access_key = s\nregion = eu-west-3\n");
  auto failure = error();
  EXPECT_EQ(failure.kind, core::ErrorKind::credentials);
  EXPECT_EQ(failure.message,
            "no AWS region: pass --region, set AWS_REGION, or add region to your AWS profile");
  EXPECT_EQ(resolve_region({}, util::MapEnv(vars_)), std::nullopt);
}

TEST_F(CredentialsTest, MalformedRegionIsAUsageError) {
  set_env_keys();
  for (const auto* bad : {"us-east", "US-EAST-1", "useast1", "us-east-1 ", "eu-west-1a"}) {
    auto failure = error({.region = bad});
    EXPECT_EQ(failure.kind, core::ErrorKind::usage) << bad;
    EXPECT_EQ(failure.message, std::string("unknown region '") + bad + "'");
  }
  for (const auto* good : {"us-gov-west-1", "us-isob-east-1", "ap-southeast-4", "cn-north-1"}) {
    EXPECT_TRUE(resolve({.region = good})) << good;
  }
}

TEST_F(CredentialsTest, DefaultEndpoints) {
  EXPECT_EQ(default_ec2_endpoint("us-east-1"), "https://ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(default_ec2_endpoint("cn-north-1"), "https://ec2.cn-north-1.amazonaws.com.cn");
}

TEST_F(CredentialsTest, EndpointPrecedence) {
  set_env_keys();
  vars_["AWS_REGION"] = "us-east-1";
  write("config", "[default]\nendpoint_url = http://profile:1\n");
  vars_["AWS_ENDPOINT_URL"] = "http://global:2/";
  vars_["AWS_ENDPOINT_URL_EC2"] = "http://ec2:3";
  vars_["AWS_ENDPOINT_URL_S3"] = "http://s3:4";
  EXPECT_EQ(resolve()->ec2_endpoint, "http://ec2:3");
  EXPECT_EQ(resolve()->s3_endpoint, "http://s3:4");
  vars_.erase("AWS_ENDPOINT_URL_EC2");
  vars_.erase("AWS_ENDPOINT_URL_S3");
  EXPECT_EQ(resolve()->ec2_endpoint, "http://global:2");
  EXPECT_EQ(resolve()->s3_endpoint, "http://global:2");
  vars_.erase("AWS_ENDPOINT_URL");
  EXPECT_EQ(resolve()->ec2_endpoint, "http://profile:1");
  EXPECT_EQ(resolve()->s3_endpoint, "http://profile:1");
  vars_["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  EXPECT_EQ(resolve()->ec2_endpoint, "https://ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(resolve()->s3_endpoint, "");
}

TEST_F(CredentialsTest, ServicesSectionEndpoints) {
  set_env_keys();
  write("config",
        "[profile local]\nregion = us-east-1\nservices = sandbox\nendpoint_url = http://all:1\n"
        "[services sandbox]\nec2 =\n  endpoint_url = http://127.0.0.1:4566\n");
  vars_["AWS_PROFILE"] = "local";
  auto context = resolve();
  ASSERT_TRUE(context) << context.error().message;
  EXPECT_EQ(context->ec2_endpoint, "http://127.0.0.1:4566");
  EXPECT_EQ(context->s3_endpoint, "http://all:1");
}

TEST(AwsIni, ParsesLikeConfigParser) {
  auto ini = parse_ini(
      "# comment\n; other comment\n[default]\nRegion=us-east-1\n  # indented comment\n"
      "output :  json  \nempty =\n[profile x]\nkey = value # not a comment\n"
      "s3 =\n  addressing_style = path\n\n  Max_Concurrency = 4\nafter = 1\r\n[DEFAULT]\nshared = "
      "yes\n");
  EXPECT_EQ(ini["default"]["region"], "us-east-1");
  EXPECT_EQ(ini["default"]["output"], "json");
  EXPECT_EQ(ini["default"]["empty"], "");
  EXPECT_EQ(ini["default"]["shared"], "yes");
  EXPECT_EQ(ini["profile x"]["key"], "value # not a comment");
  EXPECT_EQ(ini["profile x"]["after"], "1");
  auto nested = parse_nested(ini["profile x"]["s3"]);
  EXPECT_EQ(nested["addressing_style"], "path");
  EXPECT_EQ(nested["Max_Concurrency"], "4");
  EXPECT_EQ(ini.count("DEFAULT"), 0U);
}

TEST(AwsIni, KeysBeforeAnySectionAndJunkLinesAreIgnored) {
  auto ini = parse_ini("orphan = 1\n[a]\njunk line\nk = v\n[a]\nk2 = v2\n");
  EXPECT_EQ(ini["a"]["k"], "v");
  EXPECT_EQ(ini["a"]["k2"], "v2");
  EXPECT_EQ(ini["a"].size(), 2U);
}

}  // namespace
}  // namespace gpunb::aws
