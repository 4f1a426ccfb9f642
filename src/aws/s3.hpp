// S3 sources on the laptop: s3:// URIs, listing (ListObjectsV2) and HEAD, and presigned GET URLs
// for the machine, which never holds the user's secret. A bucket in another region than the one
// asked is found from S3's own answer (301 PermanentRedirect, 400 AuthorizationHeaderMalformed)
// and the request is sent once more, signed for that region.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.hpp"
#include "base/clock.hpp"
#include "core/error.hpp"
#include "net/http.hpp"

namespace gpunb::aws {

struct S3Uri {
  std::string bucket;
  std::string key;      // may be empty (the whole bucket)
  bool prefix = false;  // the key is empty or ends with '/'
  std::string str() const { return "s3://" + bucket + "/" + key; }
};

// "s3://bucket/key", "s3://bucket/prefix/", "s3://bucket" (usage errors with a hint otherwise).
core::Result<S3Uri> parse_s3_uri(std::string_view text);

struct S3Object {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // without its quotes
};

// One file for the machine to download.
struct S3Download {
  std::string url;            // presigned (plain when anonymous)
  std::string relative_name;  // key minus the prefix; a single key: its last component
  std::uint64_t size = 0;
  std::optional<std::string> md5;  // the ETag when it is a single-part one (32 hex digits)
};

struct S3FetchRequest {
  std::string uri;          // s3://bucket/key or s3://bucket/prefix/
  std::string region;       // where to start; S3's redirect corrects a wrong one
  std::string endpoint;     // empty: https://s3.REGION.amazonaws.com (see s3_endpoint())
  bool anonymous = false;   // --no-sign-request: unsigned requests, plain URLs
  Credentials credentials;  // unused when anonymous
  // When the credentials chain knows (STS, SSO): URLs never outlive the credentials.
  std::optional<std::chrono::system_clock::time_point> credentials_expire_at;
  std::chrono::seconds expiry{std::chrono::hours(12)};
  net::Http* http = nullptr;     // null: a libcurl client made for the call
  base::Clock* clock = nullptr;  // null: the system clock
};

// Lists (or HEADs) the source and presigns one GET per object. Keys ending in '/' (folder
// markers) are skipped; an s3://bucket/name that is no object but a folder is listed as one.
core::Result<std::vector<S3Download>> plan_s3_fetch(const S3FetchRequest& request);

// AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else empty (AWS's own endpoint for the region).
// resolve_context() also reads the profile's endpoint_url into AwsContext::s3_endpoint.
std::string s3_endpoint(const util::Env& env);

// The ETag as an MD5 when it is one (32 hex digits, not a multipart "...-N"); lower case.
std::optional<std::string> etag_md5(std::string_view etag);

}  // namespace gpunb::aws
