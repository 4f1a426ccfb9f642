// AWS Signature Version 4 (header and query-string forms).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "net/http.hpp"

namespace gpunb::aws {

struct SigningScope {
  std::string region;
  std::string service;  // "ec2", "s3"
};

// Adds Host, X-Amz-Date, X-Amz-Security-Token (when a session token is set) and Authorization.
// Every header already on the request is signed. The URL must be absolute; its query is
// canonicalised (sorted, re-encoded) for signing and left as it is on the wire.
// When `sign_payload_header` is set (S3), X-Amz-Content-SHA256 is added too.
void sign(net::HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
          std::chrono::system_clock::time_point now, bool sign_payload_header = false);

// A presigned URL (query-string SigV4) valid for `expires` seconds. S3 signs UNSIGNED-PAYLOAD;
// any other service the hash of the empty body, as EC2 requires of a presigned Query API call.
std::string presign(const std::string& method, const std::string& url,
                    const Credentials& credentials, const SigningScope& scope,
                    std::chrono::system_clock::time_point now, int expires);

// Exposed for tests.
namespace detail {
// `s3`: S3 signs the path as sent; other services normalise it and encode it once more.
std::string canonical_request(const net::HttpRequest& request, std::string_view signed_headers,
                              std::string_view payload_hash, bool s3);
std::string string_to_sign(std::string_view amz_date, std::string_view credential_scope,
                           std::string_view canonical_request);
std::string amz_date(std::chrono::system_clock::time_point now);  // 20150830T123600Z
}  // namespace detail

}  // namespace gpunb::aws
