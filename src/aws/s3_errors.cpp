// S3's error answers: which region a bucket is in, and error codes as core::Error.
#include <fmt/format.h>

#include <pugixml.hpp>

#include "aws/s3_client.hpp"
#include "base/strings.hpp"

namespace gpunb::aws::detail {

namespace {

constexpr size_t kMaxMessage = 300;

struct S3Reply {
  std::string code;
  std::string message;
  std::string region;    // <Region> (AuthorizationHeaderMalformed)
  std::string endpoint;  // <Endpoint> (PermanentRedirect, TemporaryRedirect)
};

S3Reply parse_reply(const std::string& body) {
  pugi::xml_document document;
  if (!document.load_buffer(body.data(), body.size())) return {};
  auto error = document.child("Error");
  return {error.child_value("Code"), error.child_value("Message"), error.child_value("Region"),
          error.child_value("Endpoint")};
}

// "bucket.s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com", "s3-eu-west-1.amazonaws.com",
// "bucket.s3.amazonaws.com" (us-east-1).
std::optional<std::string> endpoint_region(const std::string& endpoint) {
  auto at = endpoint.find(".amazonaws.com");
  if (at == std::string::npos) return std::nullopt;
  auto labels = base::split(endpoint.substr(0, at), '.');
  if (!labels.empty() && labels.back() == "s3") return "us-east-1";
  if (labels.size() >= 2 && labels[labels.size() - 2] == "s3") return labels.back();
  if (!labels.empty() && labels.back().starts_with("s3-")) return labels.back().substr(3);
  return std::nullopt;
}

// "... the region 'us-east-1' is wrong; expecting 'eu-west-1'".
std::optional<std::string> expected_region(const std::string& message) {
  auto at = message.find("expecting '");
  if (at == std::string::npos) return std::nullopt;
  at += 11;
  auto end = message.find('\'', at);
  if (end == std::string::npos || end == at) return std::nullopt;
  return message.substr(at, end - at);
}

// One line, clipped.
std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  text = base::trim(text);
  if (text.size() > kMaxMessage) text = text.substr(0, kMaxMessage) + "...";
  return text;
}

std::string status_code(long status) {
  if (status == 404) return "NotFound";
  if (status == 403) return "AccessDenied";
  if (status == 301) return "PermanentRedirect";
  if (status >= 500) return "InternalError";
  return fmt::format("HTTP {}", status);
}

core::Error access_denied(const std::string& what, bool anonymous) {
  if (anonymous) {
    return {core::ErrorKind::refused, what + ": access denied to unsigned requests",
            "the bucket is not public: drop --no-sign-request to use your AWS credentials"};
  }
  return {core::ErrorKind::refused, what + ": access denied",
          "your credentials need s3:ListBucket and s3:GetObject there; for a public bucket try "
          "--no-sign-request"};
}

}  // namespace

std::optional<std::string> redirect_region(const net::HttpResponse& response) {
  if (response.status != 301 && response.status != 400) return std::nullopt;
  auto reply = parse_reply(response.body);
  bool region_error = reply.code == "PermanentRedirect" ||
                      reply.code == "AuthorizationHeaderMalformed" ||
                      (reply.code.empty() && response.status == 301);
  auto header = response.header("x-amz-bucket-region");
  if (!header.empty() && (region_error || reply.code.empty())) return header;
  if (!region_error) return std::nullopt;
  if (!reply.region.empty()) return reply.region;
  if (auto expected = expected_region(reply.message)) return expected;
  return endpoint_region(reply.endpoint);
}

core::Error s3_error(const net::HttpResponse& response, const std::string& what, bool anonymous) {
  auto reply = parse_reply(response.body);
  auto code = reply.code.empty() ? status_code(response.status) : reply.code;
  auto message = one_line(reply.message.empty() ? code : code + ": " + reply.message);
  if (code == "NoSuchBucket")
    return {core::ErrorKind::not_found, what + ": no such bucket", "check the bucket's name"};
  if (code == "NoSuchKey" || code == "NotFound")
    return {core::ErrorKind::not_found, what + ": no such object", "check the key (aws s3 ls)"};
  if (code == "AccessDenied" || code == "AllAccessDisabled") return access_denied(what, anonymous);
  if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
      code == "InvalidToken" || code == "TokenRefreshRequired")
    return {core::ErrorKind::credentials, what + ": S3 refused the credentials (" + message + ")",
            "check AWS_ACCESS_KEY_ID/AWS_PROFILE, or renew the session (aws sso login)"};
  if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed")
    return {core::ErrorKind::cloud, what + ": the bucket is in another region (" + message + ")",
            "name the bucket's region with --region"};
  return {core::ErrorKind::cloud, what + ": S3 error " + message,
          response.status >= 500 ? "retry later" : ""};
}

}  // namespace gpunb::aws::detail
