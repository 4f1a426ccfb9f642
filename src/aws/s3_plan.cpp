// s3:// URIs and the fetch plan: what to download, under which name, from which presigned URL.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "aws/s3.hpp"
#include "aws/s3_client.hpp"
#include "base/expected.hpp"
#include "base/strings.hpp"

namespace gpunb::aws {

namespace {

constexpr std::string_view kUriHint = "write s3://BUCKET/KEY, or s3://BUCKET/PREFIX/ for a folder";
constexpr std::int64_t kMaxPresignSeconds = 7 * 24 * 3600;  // SigV4's limit
constexpr std::int64_t kMinCredentialSeconds = 60;

bool valid_bucket(std::string_view bucket) {
  return !bucket.empty() && bucket.size() <= 255 &&
         std::all_of(bucket.begin(), bucket.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
         });
}

// The objects to fetch and the prefix their names are relative to.
struct Listing {
  std::vector<S3Object> objects;
  std::string base;  // removed from each key ("" for a single object: its last component)
  bool single = false;
};

core::Result<Listing> list_prefix(S3Client& client, const S3Uri& uri, const std::string& prefix) {
  auto objects = client.list(uri.bucket, prefix);
  TRY(objects);
  std::erase_if(*objects, [](const S3Object& object) { return object.key.ends_with('/'); });
  return Listing{std::move(*objects), prefix, false};
}

core::Result<Listing> collect(S3Client& client, const S3Uri& uri) {
  if (uri.prefix) return list_prefix(client, uri, uri.key);
  auto object = client.head(uri.bucket, uri.key);
  if (object) return Listing{{std::move(*object)}, {}, true};
  if (object.error().kind != core::ErrorKind::not_found) return tl::unexpected(object.error());
  auto folder = list_prefix(client, uri, uri.key + "/");  // s3://b/data meaning s3://b/data/
  if (folder && !folder->objects.empty()) return folder;
  return tl::unexpected(object.error());
}

// KEY minus BASE, with empty and "." segments dropped; ".." is refused.
core::Result<std::string> relative_name(const std::string& key, const Listing& listing) {
  auto rest = listing.single ? key.substr(key.rfind('/') + 1) : key.substr(listing.base.size());
  std::vector<std::string> kept;
  for (auto& segment : base::split(rest, '/')) {
    if (segment == "..")
      return core::fail(core::ErrorKind::refused,
                        fmt::format("S3 key \"{}\" has a \"..\" segment", key),
                        "rename the object; gpunb never writes outside the target folder");
    if (!segment.empty() && segment != ".") kept.push_back(std::move(segment));
  }
  if (kept.empty())
    return core::fail(core::ErrorKind::refused, fmt::format("S3 key \"{}\" names no file", key));
  return base::join(kept, "/");
}

core::Result<int> presign_seconds(const S3FetchRequest& request,
                                  std::chrono::system_clock::time_point now) {
  auto seconds = std::clamp<std::int64_t>(request.expiry.count(), 1, kMaxPresignSeconds);
  if (request.credentials_expire_at) {
    auto left =
        std::chrono::duration_cast<std::chrono::seconds>(*request.credentials_expire_at - now);
    if (left.count() < kMinCredentialSeconds)
      return core::fail(core::ErrorKind::credentials, "the AWS credentials expire within a minute",
                        "renew the session (aws sso login, or new STS credentials)");
    seconds = std::min<std::int64_t>(seconds, left.count());
  }
  return static_cast<int>(seconds);
}

core::Result<std::vector<S3Download>> presign_all(S3Client& client, const S3Uri& uri,
                                                  const Listing& listing, int expires) {
  std::vector<S3Download> downloads;
  downloads.reserve(listing.objects.size());
  for (const auto& object : listing.objects) {
    auto name = relative_name(object.key, listing);
    TRY(name);
    downloads.push_back({client.get_url(uri.bucket, object.key, expires), std::move(*name),
                         object.size, etag_md5(object.etag)});
  }
  return downloads;
}

core::Status check_request(const S3FetchRequest& request) {
  if (request.anonymous || !request.credentials.access_key_id.empty()) return {};
  return core::fail(
      core::ErrorKind::credentials, "no AWS credentials to sign the S3 requests with",
      "set AWS_PROFILE or AWS_ACCESS_KEY_ID, or --no-sign-request for a public bucket");
}

}  // namespace

core::Result<S3Uri> parse_s3_uri(std::string_view text) {
  if (text.size() < 5 || base::to_lower(text.substr(0, 5)) != "s3://")
    return core::fail(core::ErrorKind::usage, fmt::format("not an s3:// URI: {}", text),
                      std::string(kUriHint));
  auto rest = text.substr(5);
  auto slash = rest.find('/');
  S3Uri uri{std::string(rest.substr(0, slash)), {}, true};
  if (!valid_bucket(uri.bucket))
    return core::fail(core::ErrorKind::usage, fmt::format("bad bucket name in {}", text),
                      std::string(kUriHint));
  if (slash != std::string_view::npos) uri.key = std::string(rest.substr(slash + 1));
  uri.prefix = uri.key.empty() || uri.key.ends_with('/');
  return uri;
}

std::optional<std::string> etag_md5(std::string_view etag) {
  if (etag.size() != 32 || !std::all_of(etag.begin(), etag.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
      }))
    return std::nullopt;
  return base::to_lower(etag);
}

std::string s3_endpoint(const util::Env& env) {
  return env.get_or("AWS_ENDPOINT_URL_S3", env.get_or("AWS_ENDPOINT_URL", ""));
}

core::Result<std::vector<S3Download>> plan_s3_fetch(const S3FetchRequest& request) {
  auto uri = parse_s3_uri(request.uri);
  TRY(uri);
  TRY(check_request(request));
  base::SystemClock system_clock;
  base::Clock& clock = request.clock != nullptr ? *request.clock : system_clock;
  auto expires = presign_seconds(request, clock.now());
  TRY(expires);
  std::unique_ptr<net::Http> owned_http;
  if (request.http == nullptr) owned_http = net::make_curl_http();
  net::Http& http = request.http != nullptr ? *request.http : *owned_http;
  S3Client client(http, clock,
                  {request.region, request.endpoint, request.anonymous, request.credentials});
  auto listing = collect(client, *uri);
  TRY(listing);
  if (listing->objects.empty())
    return core::fail(core::ErrorKind::not_found, fmt::format("{}: no objects there", uri->str()),
                      "check the prefix (aws s3 ls)");
  return presign_all(client, *uri, *listing, *expires);
}

}  // namespace gpunb::aws
