// plan_s3_fetch against a real local S3 (s3rver, tests/tools/s3_origin.mjs) and through
// tests/tools/region_proxy.py (a bucket in another region), then the presigned URLs fetched.
// s3rver checks the access key id only: signatures are checked against botocore in test_aws_s3.cpp.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <set>
#include <string>

#include "aws/s3.hpp"
#include "base/strings.hpp"
#include "test_origin_process.hpp"

namespace gpunb::aws {
namespace {

const std::string kRoot = GPUNB_SOURCE_DIR;
constexpr int kObjects = 2500;

std::string md5_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return base::hex(std::string_view(reinterpret_cast<const char*>(digest), size));
}

bool have_s3rver() {
  return std::filesystem::exists(kRoot + "/node_modules/s3rver/package.json") &&
         std::filesystem::exists("/usr/bin/node");
}

S3FetchRequest request_for(int port, bool anonymous) {
  S3FetchRequest request;
  request.uri = "s3://gpunb-test/data/";
  request.region = "us-east-1";
  request.endpoint = "http://127.0.0.1:" + std::to_string(port);
  request.anonymous = anonymous;
  if (!anonymous) request.credentials = {"S3RVER", "S3RVER", ""};
  return request;
}

void expect_full_listing(const std::vector<S3Download>& plan) {
  ASSERT_EQ(plan.size(), static_cast<size_t>(kObjects));
  std::set<std::string> names;
  for (const auto& download : plan) {
    names.insert(download.relative_name);
    EXPECT_EQ(download.size, 100u);
    EXPECT_TRUE(download.md5.has_value());
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kObjects));
  EXPECT_TRUE(names.count("part-00/file-0000.bin"));
  EXPECT_TRUE(names.count("part-24/file-2499.bin"));
}

// The bytes behind a few URLs, checked against the listing's MD5.
void expect_urls_work(const std::vector<S3Download>& plan) {
  auto http = net::make_curl_http();
  for (size_t i : {size_t{0}, plan.size() / 2, plan.size() - 1}) {
    auto response = http->send({"GET", plan[i].url, {}, {}, std::chrono::milliseconds(20000)});
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200) << plan[i].relative_name;
    EXPECT_EQ(response->body.size(), plan[i].size);
    EXPECT_EQ(md5_hex(response->body), plan[i].md5.value_or(""));
  }
}

// One s3rver (2,500 objects take a few seconds to write and serve) for the whole suite.
class S3OriginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_s3rver()) return;
    origin_ = new testing::OriginProcess({"/usr/bin/node", kRoot + "/tests/tools/s3_origin.mjs",
                                          "--objects", std::to_string(kObjects), "--size", "100"});
  }
  static void TearDownTestSuite() {
    delete origin_;
    origin_ = nullptr;
  }
  void SetUp() override {
    if (!have_s3rver())
      GTEST_SKIP() << "node_modules/s3rver missing: run `npm install --no-audit --no-fund`";
    ASSERT_NE(origin_->port(), 0) << "s3_origin.mjs did not start";
  }
  static testing::OriginProcess* origin_;
};

testing::OriginProcess* S3OriginTest::origin_ = nullptr;

TEST_F(S3OriginTest, ListsAndPresignsSignedAndAnonymous) {
  auto signed_plan = plan_s3_fetch(request_for(origin_->port(), false));
  ASSERT_TRUE(signed_plan) << signed_plan.error().message;
  expect_full_listing(*signed_plan);
  EXPECT_NE((*signed_plan)[0].url.find("X-Amz-Signature="), std::string::npos);
  expect_urls_work(*signed_plan);
  auto anonymous = plan_s3_fetch(request_for(origin_->port(), true));
  ASSERT_TRUE(anonymous) << anonymous.error().message;
  expect_full_listing(*anonymous);
  EXPECT_EQ((*anonymous)[0].url.find('?'), std::string::npos);
  expect_urls_work(*anonymous);
}

TEST_F(S3OriginTest, SingleKeyAndMissingBucket) {
  auto request = request_for(origin_->port(), false);
  request.uri = "s3://gpunb-test/data/part-01/file-0123.bin";
  auto single = plan_s3_fetch(request);
  ASSERT_TRUE(single) << single.error().message;
  ASSERT_EQ(single->size(), 1u);
  EXPECT_EQ((*single)[0].relative_name, "file-0123.bin");
  expect_urls_work(*single);
  request.uri = "s3://no-such-bucket/x/";
  auto missing = plan_s3_fetch(request);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, core::ErrorKind::not_found);
}

TEST_F(S3OriginTest, WrongRegionIsFollowedThroughTheProxy) {
  for (const char* style : {"redirect", "malformed"}) {
    testing::OriginProcess proxy({"/usr/bin/python3", kRoot + "/tests/tools/region_proxy.py",
                                  "--upstream",
                                  "http://127.0.0.1:" + std::to_string(origin_->port()), "--region",
                                  "eu-west-1", "--style", style});
    ASSERT_NE(proxy.port(), 0);
    auto plan = plan_s3_fetch(request_for(proxy.port(), false));
    ASSERT_TRUE(plan) << style << ": " << plan.error().message;
    expect_full_listing(*plan);
    EXPECT_NE(base::uri_decode((*plan)[0].url, false).find("/eu-west-1/s3/aws4_request"),
              std::string::npos)
        << (*plan)[0].url;
    expect_urls_work(*plan);  // through the proxy: signed for eu-west-1, so passed on
  }
}

}  // namespace
}  // namespace gpunb::aws
