#include <gtest/gtest.h>

#include <set>

#include "aws/ec2_client.hpp"
#include "aws/ec2_errors.hpp"
#include "test_aws_ec2_fakes.hpp"

namespace gpunb::aws {

namespace {

using core::ErrorKind;
using testing::error_envelope;
using testing::form;
using testing::Harness;
using testing::header;

const std::string kOk = "<DescribeRegionsResponse><regionInfo/></DescribeRegionsResponse>";

void expect_no_secrets(const core::Error& error) {
  auto context = testing::test_context();
  for (const auto& text : {error.message, error.hint}) {
    EXPECT_EQ(text.find(context.credentials.secret_access_key), std::string::npos) << text;
    EXPECT_EQ(text.find(context.credentials.session_token), std::string::npos) << text;
    EXPECT_EQ(text.find(context.credentials.access_key_id), std::string::npos) << text;
    EXPECT_EQ(text.find("Version=2016-11-15"), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
}

}  // namespace

TEST(Ec2Client, PostsASignedFormToTheEndpointRoot) {
  Harness h;
  h.http.reply(200, kOk);
  auto result = h.client.call("DescribeRegions",
                              {{"Filter.1.Name", "region-name"}, {"Filter.1.Value.1", "a b/c"}});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_STREQ((*result)->document_element().name(), "DescribeRegionsResponse");
  ASSERT_EQ(h.http.requests.size(), 1u);
  const auto& request = h.http.requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://ec2.us-east-1.amazonaws.com/");
  EXPECT_EQ(request.body,
            "Action=DescribeRegions&Version=2016-11-15&Filter.1.Name=region-name&Filter.1.Value.1="
            "a+b%2Fc");
  EXPECT_EQ(header(request, "content-type"), "application/x-www-form-urlencoded; charset=utf-8");
  auto authorization = header(request, "authorization");
  EXPECT_EQ(
      authorization.rfind(
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE7Q2W/20240101/us-east-1/ec2/aws4_request", 0),
      0u)
      << authorization;
  EXPECT_EQ(header(request, "x-amz-security-token"), "FwoGZXIvYXdzSESSIONTOKEN");
  EXPECT_EQ(form(request).at("Filter.1.Value.1"), "a b/c");
}

TEST(Ec2Client, KeepsAnEndpointPath) {
  auto context = testing::test_context();
  context.ec2_endpoint = "http://127.0.0.1:4566/ec2/";
  Harness h({}, context);
  h.http.reply(200, kOk);
  ASSERT_TRUE(h.client.call("DescribeRegions", {}));
  EXPECT_EQ(h.http.requests[0].url, "http://127.0.0.1:4566/ec2/");
}

TEST(Ec2Client, RetriesThrottlingAnd503ThenSucceedsReSigningEachAttempt) {
  Harness h;
  h.http.reply(400, testing::data_file("error_throttled.xml"));
  h.http.reply(503, "<html><body>Service Unavailable</body></html>");
  h.http.reply(200, kOk);
  auto result = h.client.call("DescribeRegions", {});
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(h.http.requests.size(), 3u);
  EXPECT_EQ(h.clock.sleeps.size(), 2u);
  std::set<std::string> dates;
  for (const auto& request : h.http.requests) {
    EXPECT_FALSE(header(request, "authorization").empty());
    dates.insert(header(request, "x-amz-date"));
  }
  EXPECT_EQ(dates.size(), 3u) << "each attempt is signed afresh";
  EXPECT_NE(h.http.requests[0].body.find("Action=DescribeRegions"), std::string::npos);
  auto log = h.log_text();
  EXPECT_NE(log.find("debug: DescribeRegions: RequestLimitExceeded"), std::string::npos) << log;
  EXPECT_NE(log.find("HTTP 503"), std::string::npos) << log;
}

TEST(Ec2Client, GivesUpAfterMaxAttempts) {
  Harness h(RetryPolicy{4, std::chrono::milliseconds(200), std::chrono::milliseconds(10000)});
  for (int i = 0; i < 6; ++i)
    h.http.reply(503, error_envelope("ServiceUnavailable", "Service is unavailable"));
  auto result = h.client.call("RunInstances", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(h.http.requests.size(), 4u);
  EXPECT_EQ(h.clock.sleeps.size(), 3u);
  EXPECT_EQ(result.error().kind, ErrorKind::cloud);
  EXPECT_EQ(result.error().message, "RunInstances: EC2 ServiceUnavailable: Service is unavailable");
}

TEST(Ec2Client, ThrottlingThatNeverEndsIsACloudError) {
  Harness h(RetryPolicy{3, std::chrono::milliseconds(200), std::chrono::milliseconds(10000)});
  for (int i = 0; i < 3; ++i) h.http.reply(400, error_envelope("Throttling", "Rate exceeded"));
  auto result = h.client.call("DescribeInstances", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(h.http.requests.size(), 3u);
  EXPECT_EQ(result.error().kind, ErrorKind::cloud);
  EXPECT_NE(result.error().hint.find("throttling"), std::string::npos);
}

TEST(Ec2Client, BackoffIsFullJitterBoundedByTheCap) {
  Harness h(RetryPolicy{12, std::chrono::milliseconds(200), std::chrono::milliseconds(1500)});
  for (int i = 0; i < 12; ++i)
    h.http.reply(500, error_envelope("InternalError", "An internal error has occurred"));
  ASSERT_FALSE(h.client.call("DescribeInstances", {}));
  ASSERT_EQ(h.clock.sleeps.size(), 11u);
  std::int64_t ceiling = 200;
  for (auto sleep : h.clock.sleeps) {
    EXPECT_GE(sleep.count(), 0);
    EXPECT_LE(sleep.count(), ceiling);
    ceiling = std::min<std::int64_t>(ceiling * 2, 1500);
  }
}

TEST(Ec2Client, UnreadableBodiesAreErrorsNotCrashes) {
  for (const std::string body :
       {"", "not xml at all", "<DescribeRegionsResponse><regionInfo><item>",
        "<?xml version=\"1.0\"?>", "<OtherResponse/>", "\x01\x02<<>>"}) {
    Harness h;
    h.http.reply(200, body);
    auto result = h.client.call("DescribeRegions", {});
    ASSERT_FALSE(result) << body;
    EXPECT_EQ(result.error().kind, ErrorKind::cloud);
    EXPECT_EQ(result.error().message,
              "DescribeRegions: EC2 sent an unreadable response (HTTP 200)");
    EXPECT_EQ(h.http.requests.size(), 1u) << "a 200 is not retried";
  }
}

TEST(Ec2Client, UnreadableServerErrorsAreRetried) {
  Harness h;
  h.http.reply(502, "");
  h.http.reply(504, "<html>Gateway Timeout");
  h.http.reply(200, kOk);
  EXPECT_TRUE(h.client.call("DescribeRegions", {}));
  EXPECT_EQ(h.http.requests.size(), 3u);
}

TEST(Ec2Client, UnreadableClientErrorIsNotRetried) {
  Harness h;
  h.http.reply(403, "<html>Forbidden</html>");
  auto result = h.client.call("DescribeRegions", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "DescribeRegions: EC2 sent an unreadable response (HTTP 403)");
  EXPECT_EQ(h.http.requests.size(), 1u);
}

TEST(Ec2Client, NetworkErrorsAreRetriedAFewTimesThenNetworkKind) {
  Harness h;
  for (int i = 0; i < 6; ++i) h.http.fail("could not connect to ec2.us-east-1.amazonaws.com");
  auto result = h.client.call("DescribeInstances", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(h.http.requests.size(), 3u);
  EXPECT_EQ(result.error().kind, ErrorKind::network);
  EXPECT_EQ(result.error().message,
            "DescribeInstances: could not connect to ec2.us-east-1.amazonaws.com");
  EXPECT_FALSE(result.error().hint.empty());
}

TEST(Ec2Client, NetworkErrorThenSuccess) {
  Harness h;
  h.http.fail("timeout");
  h.http.reply(200, kOk);
  EXPECT_TRUE(h.client.call("DescribeRegions", {}));
  EXPECT_EQ(h.clock.sleeps.size(), 1u);
}

TEST(Ec2Client, ErrorResponseEnvelopeIsUnderstood) {
  Harness h;
  h.http.reply(403, testing::data_file("error_response_form.xml"));
  auto result = h.client.call("DescribeRegions", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::credentials);
  EXPECT_TRUE(has_ec2_code(result.error(), "InvalidClientTokenId"));
  EXPECT_EQ(result.error().hint, "check your AWS credentials (profile, AWS_ACCESS_KEY_ID)");
}

TEST(Ec2Client, MessagesNeverEchoCredentials) {
  Harness h;
  h.http.reply(400, error_envelope("AuthFailure",
                                   "Key AKIDEXAMPLE7Q2W with token FwoGZXIvYXdzSESSIONTOKEN"));
  auto result = h.client.call("DescribeRegions", {});
  ASSERT_FALSE(result);
  expect_no_secrets(result.error());
  EXPECT_NE(result.error().message.find("***"), std::string::npos);
}

}  // namespace gpunb::aws
