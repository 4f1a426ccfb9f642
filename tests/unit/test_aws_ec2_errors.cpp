#include <gtest/gtest.h>

#include "aws/ec2_errors.hpp"
#include "test_aws_ec2_fakes.hpp"

namespace gpunb::aws {

namespace {

using core::ErrorKind;

struct Case {
  std::string code;
  std::string message;
  ErrorKind kind;
  std::string message_part;  // expected in the core::Error message
  std::string hint_part;     // expected in the hint; empty: no check
};

const std::string kQuotaHint =
    "request a quota increase in the Service Quotas console (EC2 → Running On-Demand G and VT "
    "instances)";
const std::string kCredentialsHint = "check your AWS credentials (profile, AWS_ACCESS_KEY_ID)";

std::vector<Case> cases() {
  return {
      {"AuthFailure", "AWS was not able to validate the provided access credentials",
       ErrorKind::credentials, "AWS rejected the credentials", kCredentialsHint},
      {"InvalidClientTokenId", "The security token included in the request is invalid.",
       ErrorKind::credentials, "EC2 InvalidClientTokenId", kCredentialsHint},
      {"SignatureDoesNotMatch",
       "The request signature we calculated does not match the signature you provided. Check your "
       "AWS Secret "
       "Access Key and signing method.",
       ErrorKind::credentials, "signature", kCredentialsHint},
      {"UnrecognizedClientException", "The security token included in the request is invalid",
       ErrorKind::credentials, "credentials", kCredentialsHint},
      {"AuthFailure", "Credential should be scoped to a valid region. ", ErrorKind::credentials,
       "unknown region 'us-east-1'", "--region"},
      {"UnauthorizedOperation",
       "You are not authorized to perform this operation. Encoded authorization failure message: "
       "AbCdEfBLOB123",
       ErrorKind::cloud, "not authorized", "IAM"},
      {"InvalidParameterValue", "Value (abc) for parameter volumeSize is invalid.",
       ErrorKind::usage, "Value (abc) for parameter volumeSize is invalid.", ""},
      {"InvalidParameterValue", "Invalid value 'g9.huge' for InstanceType.", ErrorKind::not_found,
       "unknown instance type", ""},
      {"InvalidParameterCombination",
       "Network interfaces and an instance-level security groups may not be "
       "specified on the same request",
       ErrorKind::usage, "may not be specified", ""},
      {"MissingParameter", "The request must contain the parameter ImageId", ErrorKind::cloud,
       "ImageId", ""},
      {"InvalidAMIID.NotFound", "The image id '[ami-0123]' does not exist", ErrorKind::not_found,
       "image not found", ""},
      {"InvalidAMIID.Malformed", "Invalid id: \"ami-zz\"", ErrorKind::not_found, "image not found",
       ""},
      {"InvalidInstanceType", "The following supplied instance types do not exist: [g9.huge]",
       ErrorKind::not_found, "unknown instance type", ""},
      {"InvalidInstanceID.NotFound", "The instance ID 'i-0123' does not exist",
       ErrorKind::not_found, "i-0123", ""},
      {"InsufficientInstanceCapacity",
       "We currently do not have sufficient g5.xlarge capacity in the Availability Zone you "
       "requested.",
       ErrorKind::capacity, "capacity", ""},
      {"Unsupported",
       "Your requested instance type (p5.48xlarge) is not supported in your requested "
       "Availability Zone (us-east-1e).",
       ErrorKind::capacity, "us-east-1e", ""},
      {"InstanceLimitExceeded",
       "You have requested more instances (21) than your current instance limit of 20",
       ErrorKind::cloud, "instance limit", kQuotaHint},
      {"VcpuLimitExceeded",
       "You have requested more vCPU capacity than your current vCPU limit of 0 allows",
       ErrorKind::cloud, "vCPU", kQuotaHint},
      {"MaxSpotInstanceCountExceeded", "Max spot instance count exceeded", ErrorKind::cloud, "spot",
       kQuotaHint},
      {"VPCIdNotSpecified", "No default VPC for this user", ErrorKind::cloud, "no default VPC",
       "create-default-vpc"},
      {"SomethingNew", "A brand new failure.", ErrorKind::cloud,
       "EC2 SomethingNew: A brand new failure.", ""},
  };
}

}  // namespace

TEST(Ec2Errors, EveryListedCodeMapsToItsKindWithACleanMessage) {
  for (const auto& item : cases()) {
    SCOPED_TRACE(item.code + ": " + item.message);
    testing::Harness h;
    h.http.reply(400, testing::error_envelope(item.code, item.message));
    auto result = h.client.call("RunInstances", {{"ImageId", "ami-0123"}});
    ASSERT_FALSE(result);
    const auto& error = result.error();
    EXPECT_EQ(error.kind, item.kind);
    EXPECT_EQ(error.message.rfind("RunInstances: ", 0), 0u) << error.message;
    EXPECT_NE(error.message.find(item.message_part), std::string::npos) << error.message;
    if (!item.hint_part.empty()) {
      EXPECT_NE(error.hint.find(item.hint_part), std::string::npos) << error.hint;
    }
    EXPECT_EQ(error.message.find('\n'), std::string::npos);
    EXPECT_EQ(error.message.find("BLOB"), std::string::npos) << "no encoded authorization message";
    EXPECT_EQ(error.message.find("Action="), std::string::npos) << "no request body";
    EXPECT_EQ(h.http.requests.size(), 1u) << "not retried";
  }
}

TEST(Ec2Errors, RetryableCodes) {
  for (const char* code :
       {"RequestLimitExceeded", "Throttling", "ThrottlingException", "ServiceUnavailable",
        "Unavailable", "InternalError", "InternalFailure"}) {
    EXPECT_TRUE(is_retryable_code(code)) << code;
  }
  for (const char* code :
       {"AuthFailure", "InsufficientInstanceCapacity", "InvalidParameterValue"}) {
    EXPECT_FALSE(is_retryable_code(code)) << code;
  }
}

TEST(Ec2Errors, RetryableCodesAreRetriedThroughTheClient) {
  for (const char* code :
       {"RequestLimitExceeded", "Throttling", "ThrottlingException", "ServiceUnavailable",
        "Unavailable", "InternalError", "InternalFailure"}) {
    testing::Harness h;
    h.http.reply(400, testing::error_envelope(code, "try again"));
    h.http.reply(200, "<DescribeRegionsResponse/>");
    EXPECT_TRUE(h.client.call("DescribeRegions", {})) << code;
    EXPECT_EQ(h.http.requests.size(), 2u) << code;
  }
}

TEST(Ec2Errors, ServerErrorsAreRetriedUnlessTheCodeIsADefiniteAnswer) {
  EXPECT_FALSE(should_retry({"InsufficientInstanceCapacity", "no capacity"}, 500));
  EXPECT_FALSE(should_retry({"SomethingNew", "client side"}, 400));
  EXPECT_TRUE(should_retry({"SomethingNew", "server side"}, 500));
  EXPECT_TRUE(should_retry({"RequestLimitExceeded", "slow down"}, 503));
  testing::Harness h;
  h.http.reply(500, testing::error_envelope("SomethingNew", "oops"));
  h.http.reply(200, "<DescribeRegionsResponse/>");
  EXPECT_TRUE(h.client.call("DescribeRegions", {}));
  EXPECT_EQ(h.http.requests.size(), 2u);
}

TEST(Ec2Errors, HasEc2CodeMatchesWholeCodes) {
  auto error =
      map_ec2_error("DescribeKeyPairs",
                    {"InvalidKeyPair.NotFound", "The key pair 'k' does not exist"}, "us-east-1");
  EXPECT_TRUE(has_ec2_code(error, "InvalidKeyPair.NotFound"));
  EXPECT_FALSE(has_ec2_code(error, "InvalidKeyPair"));
  EXPECT_FALSE(has_ec2_code(error, "InvalidKeyPair.NotFoundX"));
  auto bare = map_ec2_error("DeleteKeyPair", {"InvalidKeyPair.NotFound", ""}, "us-east-1");
  EXPECT_TRUE(has_ec2_code(bare, "InvalidKeyPair.NotFound"));
}

TEST(Ec2Errors, CleanMessageFoldsAndTruncates) {
  EXPECT_EQ(clean_ec2_message("a\n  b\tc  "), "a b c");
  EXPECT_EQ(clean_ec2_message("Denied. Encoded authorization failure message: XYZ"), "Denied.");
  EXPECT_LE(clean_ec2_message(std::string(5000, 'x')).size(), 410u);
}

}  // namespace gpunb::aws
