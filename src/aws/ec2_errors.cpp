#include "aws/ec2_errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace gpunb::aws {

namespace {

using core::ErrorKind;

constexpr std::string_view kCredentialsHint =
    "check your AWS credentials (profile, AWS_ACCESS_KEY_ID)";
constexpr std::string_view kRegionHint = "pass a valid --region (e.g. us-east-1) or set AWS_REGION";
constexpr std::string_view kIamHint =
    "your IAM user or role is not allowed this EC2 action; ask an administrator to grant it";
constexpr std::string_view kQuotaHint =
    "request a quota increase in the Service Quotas console (EC2 → Running On-Demand G and VT "
    "instances)";
constexpr std::string_view kCapacityHint =
    "try another instance type or availability zone, or retry later";
constexpr std::string_view kThrottleHint = "EC2 is throttling requests; wait a minute and retry";
constexpr std::string_view kServerHint = "EC2 failed on its side; retry later";
constexpr std::string_view kUsageHint =
    "check the values given on the command line and in the config";
constexpr size_t kMaxMessage = 400;

struct Rule {
  std::string_view code;  // a trailing '*' matches any code with that prefix
  ErrorKind kind;
  std::string_view summary;  // empty: the message is "EC2 <code>: <EC2's message>"
  std::string_view hint;
};

constexpr std::array kRules = {
    Rule{"AuthFailure", ErrorKind::credentials, "AWS rejected the credentials", kCredentialsHint},
    Rule{"InvalidClientTokenId", ErrorKind::credentials, "AWS rejected the access key",
         kCredentialsHint},
    Rule{"SignatureDoesNotMatch", ErrorKind::credentials, "AWS rejected the request signature",
         kCredentialsHint},
    Rule{"UnrecognizedClientException", ErrorKind::credentials, "AWS rejected the credentials",
         kCredentialsHint},
    Rule{"UnauthorizedOperation", ErrorKind::cloud, "not authorized", kIamHint},
    Rule{"OptInRequired", ErrorKind::cloud, "the account is not subscribed",
         "enable the region or subscribe to the image's product in the AWS console"},
    Rule{"PendingVerification", ErrorKind::cloud, "the account is still being verified",
         "new AWS accounts are verified before they may launch; wait, or ask AWS Support"},
    Rule{"VPCIdNotSpecified", ErrorKind::cloud, "the region has no default VPC",
         "create one with `aws ec2 create-default-vpc`, or pick another region"},
    Rule{"InvalidParameterValue", ErrorKind::usage, "", kUsageHint},
    Rule{"InvalidParameterCombination", ErrorKind::usage, "", kUsageHint},
    Rule{"MissingParameter", ErrorKind::cloud, "", ""},
    Rule{"InvalidAMIID.*", ErrorKind::not_found, "image not found",
         "check the image id and that it exists in this region"},
    Rule{"InvalidInstanceType", ErrorKind::not_found, "unknown instance type",
         "check the instance type name and that it is offered in this region"},
    Rule{"InvalidInstanceID.NotFound", ErrorKind::not_found, "instance not found", ""},
    Rule{"InvalidInstanceID.Malformed", ErrorKind::usage, "malformed instance id", ""},
    Rule{"InvalidKeyPair.NotFound", ErrorKind::not_found, "key pair not found", ""},
    Rule{"InvalidGroup.NotFound", ErrorKind::not_found, "security group not found", ""},
    Rule{"IncorrectInstanceState", ErrorKind::cloud,
         "the instance is not in a state that allows this", ""},
    Rule{"InsufficientInstanceCapacity", ErrorKind::capacity, "no capacity for this instance type",
         kCapacityHint},
    Rule{"InsufficientHostCapacity", ErrorKind::capacity, "no capacity for this instance type",
         kCapacityHint},
    Rule{"Unsupported", ErrorKind::capacity, "not offered in this availability zone",
         kCapacityHint},
    Rule{"InstanceLimitExceeded", ErrorKind::cloud, "instance quota reached", kQuotaHint},
    Rule{"VcpuLimitExceeded", ErrorKind::cloud, "vCPU quota reached", kQuotaHint},
    Rule{"MaxSpotInstanceCountExceeded", ErrorKind::cloud, "spot instance quota reached",
         kQuotaHint},
};

constexpr std::array<std::string_view, 5> kThrottleCodes = {
    "RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled", "SlowDown"};
constexpr std::array<std::string_view, 4> kServerCodes = {"ServiceUnavailable", "Unavailable",
                                                          "InternalError", "InternalFailure"};

bool rule_matches(const Rule& rule, std::string_view code) {
  if (rule.code.ends_with('*')) return code.starts_with(rule.code.substr(0, rule.code.size() - 1));
  return code == rule.code;
}

const Rule* find_rule(std::string_view code) {
  for (const auto& rule : kRules) {
    if (rule_matches(rule, code)) return &rule;
  }
  return nullptr;
}

template <size_t N>
bool contains(const std::array<std::string_view, N>& codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

std::string detail(std::string_view code, const std::string& message) {
  return message.empty() ? fmt::format("EC2 {}", code) : fmt::format("EC2 {}: {}", code, message);
}

core::Error from_rule(std::string_view action, const Rule& rule, std::string_view code,
                      const std::string& message) {
  if (rule.summary.empty()) {
    return {rule.kind, fmt::format("{}: {}", action, detail(code, message)),
            std::string(rule.hint)};
  }
  return {rule.kind, fmt::format("{}: {} ({})", action, rule.summary, detail(code, message)),
          std::string(rule.hint)};
}

bool is_region_scope_error(const Ec2ErrorReply& reply) {
  return reply.message.find("scoped to a valid region") != std::string::npos;
}

bool is_instance_type_value(const Ec2ErrorReply& reply) {
  return reply.code == "InvalidParameterValue" &&
         reply.message.find("for InstanceType") != std::string::npos;
}

}  // namespace

bool is_retryable_code(std::string_view code) {
  return contains(kThrottleCodes, code) || contains(kServerCodes, code);
}

bool should_retry(const Ec2ErrorReply& reply, long http_status) {
  return is_retryable_code(reply.code) || (http_status >= 500 && find_rule(reply.code) == nullptr);
}

core::Error map_ec2_error(std::string_view action, const Ec2ErrorReply& reply,
                          std::string_view region) {
  auto message = clean_ec2_message(reply.message);
  const Rule* rule = find_rule(reply.code);
  if (rule != nullptr && rule->kind == ErrorKind::credentials && is_region_scope_error(reply)) {
    return {ErrorKind::credentials, fmt::format("{}: unknown region '{}'", action, region),
            std::string(kRegionHint)};
  }
  if (is_instance_type_value(reply)) rule = find_rule("InvalidInstanceType");
  if (rule != nullptr) return from_rule(action, *rule, reply.code, message);
  std::string_view hint;
  if (contains(kThrottleCodes, reply.code)) hint = kThrottleHint;
  if (contains(kServerCodes, reply.code)) hint = kServerHint;
  return {ErrorKind::cloud, fmt::format("{}: {}", action, detail(reply.code, message)),
          std::string(hint)};
}

bool has_ec2_code(const core::Error& error, std::string_view code) {
  auto needle = fmt::format("EC2 {}", code);
  for (auto at = error.message.find(needle); at != std::string::npos;
       at = error.message.find(needle, at + 1)) {
    auto end = at + needle.size();
    if (end == error.message.size() || error.message[end] == ':' || error.message[end] == ')')
      return true;
  }
  return false;
}

std::string clean_ec2_message(std::string_view message) {
  auto blob = message.find("Encoded authorization failure message");
  if (blob != std::string_view::npos) message = message.substr(0, blob);
  std::string out;
  for (char c : message) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && (out.back() == ' ')) out.pop_back();
  if (out.size() > kMaxMessage) out = out.substr(0, kMaxMessage) + "...";
  return out;
}

}  // namespace gpunb::aws
