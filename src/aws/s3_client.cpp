#include "aws/s3_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "aws/sigv4.hpp"
#include "base/strings.hpp"

namespace gpunb::aws {

namespace {

std::string without_trailing_slash(std::string text) {
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

std::string with_query(const std::string& url, const Query& query) {
  std::string out = url;
  char separator = '?';
  for (const auto& [key, value] : query) {
    out += separator + base::uri_encode(key) + '=' + base::uri_encode(value);
    separator = '&';
  }
  return out;
}

bool retryable(const core::Result<net::HttpResponse>& response) {
  if (!response) return true;
  return response->status >= 500 ||
         response->body.find("<Code>SlowDown</Code>") != std::string::npos;
}

// Full jitter: uniform in [0, min(5 s, 200 ms * 2^(attempt - 1))].
std::chrono::milliseconds backoff(int attempt) {
  std::chrono::milliseconds::rep ceiling = 200;
  for (int i = 1; i < attempt && ceiling < 5000; ++i) ceiling *= 2;
  std::random_device random;
  std::uniform_int_distribution<std::chrono::milliseconds::rep> jitter(0, std::min(ceiling, 5000L));
  return std::chrono::milliseconds(jitter(random));
}

}  // namespace

bool s3_path_style(const S3Settings& settings, const std::string& bucket) {
  return !settings.endpoint.empty() || bucket.find('.') != std::string::npos;
}

S3Client::S3Client(net::Http& http, base::Clock& clock, S3Settings settings)
    : http_(http), clock_(clock), settings_(std::move(settings)) {}

std::string S3Client::object_url(const std::string& bucket, const std::string& key) const {
  auto path = base::uri_encode(key, true);
  if (!s3_path_style(settings_, bucket))
    return fmt::format("https://{}.s3.{}.amazonaws.com/{}", bucket, settings_.region, path);
  auto base = settings_.endpoint.empty()
                  ? fmt::format("https://s3.{}.amazonaws.com", settings_.region)
                  : without_trailing_slash(settings_.endpoint);
  return base + "/" + bucket + (key.empty() ? "" : "/" + path);
}

std::string S3Client::get_url(const std::string& bucket, const std::string& key,
                              int expires) const {
  auto url = object_url(bucket, key);
  if (settings_.anonymous) return url;
  return presign("GET", url, settings_.credentials, {settings_.region, "s3"}, clock_.now(),
                 expires);
}

core::Result<net::HttpResponse> S3Client::send_with_retries(const net::HttpRequest& request) {
  const int attempts = std::max(settings_.max_attempts, 1);
  for (int attempt = 1;; ++attempt) {
    auto signed_request = request;
    if (!settings_.anonymous) {
      sign(signed_request, settings_.credentials, {settings_.region, "s3"}, clock_.now(), true);
    }
    auto response = http_.send(signed_request);
    if (attempt >= attempts || !retryable(response)) return response;
    clock_.sleep_for(backoff(attempt));
  }
}

core::Result<net::HttpResponse> S3Client::send(const std::string& method, const std::string& bucket,
                                               const std::string& key, const Query& query) {
  bool redirected = false;
  while (true) {
    net::HttpRequest request{method, with_query(object_url(bucket, key), query), {}, {}, {}};
    auto response = send_with_retries(request);
    if (!response) {
      auto error = response.error();
      error.message = fmt::format("s3://{}/{}: {}", bucket, key, error.message);
      if (error.hint.empty())
        error.hint = "check your network and the S3 endpoint (AWS_ENDPOINT_URL_S3)";
      return tl::unexpected(std::move(error));
    }
    auto region = detail::redirect_region(*response);
    if (!region || redirected || *region == settings_.region) return response;
    settings_.region = *region;  // S3 said where the bucket lives: once, signed for it
    redirected = true;
  }
}

}  // namespace gpunb::aws
