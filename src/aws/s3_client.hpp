// The S3 REST transport: addressing (virtual-hosted or path style), SigV4 or anonymous requests,
// retries, the one region redirect, and S3's error envelope mapped to core::Error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/s3.hpp"
#include "base/clock.hpp"
#include "core/error.hpp"
#include "net/http.hpp"

namespace gpunb::aws {

struct S3Settings {
  std::string region;
  std::string endpoint;  // empty: AWS (https://s3.REGION.amazonaws.com)
  bool anonymous = false;
  Credentials credentials;
  int max_attempts = 4;  // 5xx, SlowDown and network errors are retried
};

using Query = std::vector<std::pair<std::string, std::string>>;

class S3Client {
 public:
  S3Client(net::Http& http, base::Clock& clock, S3Settings settings);

  // ListObjectsV2 over every page (continuation tokens), 1000 keys a page.
  core::Result<std::vector<S3Object>> list(const std::string& bucket, const std::string& prefix);
  // HEAD of one object: not_found when there is none.
  core::Result<S3Object> head(const std::string& bucket, const std::string& key);
  // The object's URL: presigned for `expires` seconds, or plain when anonymous.
  std::string get_url(const std::string& bucket, const std::string& key, int expires) const;

  // The region requests go to now (after a redirect: the bucket's).
  const std::string& region() const { return settings_.region; }
  // Unsigned URL of a bucket's object (key empty: the bucket), by the addressing rules.
  std::string object_url(const std::string& bucket, const std::string& key) const;

 private:
  core::Result<net::HttpResponse> send(const std::string& method, const std::string& bucket,
                                       const std::string& key, const Query& query);
  core::Result<net::HttpResponse> send_with_retries(const net::HttpRequest& unsigned_request);

  net::Http& http_;
  base::Clock& clock_;
  S3Settings settings_;
};

// Virtual-hosted style https://BUCKET.s3.REGION.amazonaws.com/KEY unless the endpoint is custom
// or the bucket name has dots (TLS wildcards cover one label): path style ENDPOINT/BUCKET/KEY.
bool s3_path_style(const S3Settings& settings, const std::string& bucket);

namespace detail {
// What an S3 answer says about the bucket's region (x-amz-bucket-region, <Region>, or the
// "expecting 'REGION'" of AuthorizationHeaderMalformed); nullopt when it is no region error.
std::optional<std::string> redirect_region(const net::HttpResponse& response);
// S3's error envelope (or a bare status) as core::Error; WHAT names the resource (s3://b/k).
core::Error s3_error(const net::HttpResponse& response, const std::string& what, bool anonymous);

struct ListPage {
  std::vector<S3Object> objects;
  std::string next_token;  // empty on the last page
  bool truncated = false;
};
// One ListObjectsV2 answer (<ListBucketResult>); an error when it is not one.
core::Result<ListPage> parse_list_page(const std::string& body);
}  // namespace detail

}  // namespace gpunb::aws
