#include "aws/ec2_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <random>

#include "aws/ec2_errors.hpp"
#include "aws/query.hpp"
#include "aws/sigv4.hpp"
#include "base/strings.hpp"
#include "base/text.hpp"

namespace gpunb::aws {

namespace {

using Document = std::shared_ptr<pugi::xml_document>;

constexpr std::string_view kApiVersion = "2016-11-15";
constexpr int kNetworkAttempts = 3;
constexpr int kMaxPresignSeconds = 7 * 24 * 3600;
constexpr std::string_view kNetworkHint =
    "check your network connection and the EC2 endpoint (AWS_ENDPOINT_URL_EC2)";

// What one attempt came to, and whether another attempt may cure it.
struct Outcome {
  core::Result<Document> result;
  bool retry = false;
  bool network = false;
  std::string reason;  // for the debug log: an EC2 code or "HTTP n"
};

// A presigned URL's query: as a URL query, not a form body (SigV4 signs it %20-encoded).
std::string uri_query(const std::string& action, const Params& params) {
  std::string query = fmt::format("Action={}&Version={}", base::uri_encode(action), kApiVersion);
  for (const auto& [key, value] : params) {
    query += fmt::format("&{}={}", base::uri_encode(key), base::uri_encode(value));
  }
  return query;
}

// The endpoint with path "/" when it names none.
std::string endpoint_url(const std::string& endpoint) {
  auto scheme = endpoint.find("://");
  auto host_start = scheme == std::string::npos ? 0 : scheme + 3;
  return endpoint.find('/', host_start) == std::string::npos ? endpoint + "/" : endpoint;
}

net::HttpRequest build_request(const AwsContext& context, const std::string& action,
                               const Params& params) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = endpoint_url(context.ec2_endpoint);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = query_body(action, params);
  return request;
}

// Replaces any credential that a message might echo with "***".
std::string scrub(std::string text, const Credentials& credentials) {
  for (const auto* secret :
       {&credentials.secret_access_key, &credentials.session_token, &credentials.access_key_id}) {
    if (secret->size() < 4) continue;
    for (auto at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at)) {
      text.replace(at, secret->size(), "***");
    }
  }
  return text;
}

Outcome unreadable(const std::string& action, long status) {
  auto error =
      core::Error{core::ErrorKind::cloud,
                  fmt::format("{}: EC2 sent an unreadable response (HTTP {})", action, status),
                  "check the EC2 endpoint (AWS_ENDPOINT_URL_EC2) or retry later"};
  return {tl::unexpected(std::move(error)), status >= 500, false, fmt::format("HTTP {}", status)};
}

std::optional<Ec2ErrorReply> error_reply(const pugi::xml_node& root) {
  std::string_view name = root.name();
  if (name != "Response" && name != "ErrorResponse") return std::nullopt;
  auto error = root.child("Errors").child("Error");
  if (!error) error = root.child("Error");
  if (!error || std::string_view(error.child_value("Code")).empty()) return std::nullopt;
  return Ec2ErrorReply{error.child_value("Code"), error.child_value("Message")};
}

Outcome interpret(const std::string& action, const net::HttpResponse& response,
                  const AwsContext& context) {
  auto document = std::make_shared<pugi::xml_document>();
  auto parsed = document->load_buffer(response.body.data(), response.body.size());
  auto root = document->document_element();
  if (!parsed || !root) return unreadable(action, response.status);
  if (auto reply = error_reply(root)) {
    auto error = map_ec2_error(action, *reply, context.region);
    error.message = scrub(error.message, context.credentials);
    bool retry = should_retry(*reply, response.status);
    return {tl::unexpected(std::move(error)), retry, false, reply->code};
  }
  if (response.status != 200 || root.name() != action + "Response") {
    return unreadable(action, response.status);
  }
  return {std::move(document), false, false, {}};
}

Outcome network_failure(const std::string& action, const core::Error& cause,
                        const Credentials& credentials) {
  auto message = scrub(fmt::format("{}: {}", action, cause.message), credentials);
  auto hint = cause.hint.empty() ? std::string(kNetworkHint) : cause.hint;
  return {
      tl::unexpected(core::Error{core::ErrorKind::network, std::move(message), std::move(hint)}),
      true, true, "network error"};
}

Outcome attempt_once(net::Http& http, const base::Clock& clock, const AwsContext& context,
                     const std::string& action, net::HttpRequest request) {
  sign(request, context.credentials, {context.region, "ec2"}, clock.now());
  auto response = http.send(request);
  if (!response) return network_failure(action, response.error(), context.credentials);
  return interpret(action, *response, context);
}

// Full jitter: uniform in [0, min(cap, base * 2^(retry - 1))].
std::chrono::milliseconds backoff(const RetryPolicy& policy, int retry) {
  auto ceiling = std::max(policy.base_delay.count(), std::chrono::milliseconds::rep{0});
  for (int i = 1; i < retry && ceiling < policy.max_delay.count(); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_delay.count());
  std::random_device random;
  std::uniform_int_distribution<std::chrono::milliseconds::rep> jitter(0, ceiling);
  return std::chrono::milliseconds(jitter(random));
}

}  // namespace

std::string query_body(const std::string& action, const Params& params) {
  std::string body = "Action=" + base::form_encode(action) + "&Version=" + std::string(kApiVersion);
  for (const auto& [key, value] : params) {
    body += '&';
    body += base::form_encode(key);
    body += '=';
    body += base::form_encode(value);
  }
  return body;
}

Ec2Client::Ec2Client(net::Http& http, base::Clock& clock, const base::Logger& log,
                     AwsContext context, RetryPolicy retry)
    : http_(http), clock_(clock), log_(log), context_(std::move(context)), retry_(retry) {}

core::Result<Document> Ec2Client::call(const std::string& action, const Params& params) {
  const auto request = build_request(context_, action, params);
  const int max_attempts = std::max(retry_.max_attempts, 1);
  int network_failures = 0;
  for (int attempt = 1;; ++attempt) {
    auto outcome = attempt_once(http_, clock_, context_, action, request);
    if (outcome.network) ++network_failures;
    bool give_up = !outcome.retry || attempt >= max_attempts ||
                   (outcome.network && network_failures >= kNetworkAttempts);
    if (give_up) return std::move(outcome.result);
    auto delay = backoff(retry_, attempt);
    log_.debug("{}: {}; retrying in {} ms (attempt {} of {})", action, outcome.reason,
               delay.count(), attempt + 1, max_attempts);
    clock_.sleep_for(delay);
  }
}

std::string Ec2Client::presign(const std::string& action, const Params& params, int expires,
                               const std::string& endpoint) const {
  auto base = endpoint_url(endpoint.empty() ? context_.ec2_endpoint : endpoint);
  auto url = base + "?" + uri_query(action, params);
  return aws::presign("GET", url, context_.credentials, {context_.region, "ec2"}, clock_.now(),
                      std::clamp(expires, 1, kMaxPresignSeconds));
}

}  // namespace gpunb::aws
