// AWS settings resolved the way the AWS CLI does: flags, environment, ~/.aws files.
#pragma once

#include <optional>
#include <string>

#include "core/error.hpp"
#include "util/env.hpp"

namespace gpunb::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never printed
  std::string session_token;      // never printed; may be empty
};

// What the command line and gpunb's own config say; empty means "not given".
struct AwsOptions {
  std::optional<std::string> profile;        // --profile
  std::optional<std::string> region;         // --region
  std::optional<std::string> config_region;  // gpunb config.toml default, below env, above profile
};

struct AwsContext {
  Credentials credentials;
  std::string region;
  std::string profile;       // the profile used ("default" when none named)
  std::string ec2_endpoint;  // full base URL, e.g. https://ec2.us-east-1.amazonaws.com
  std::string s3_endpoint;   // empty: the default for the region
};

// Precedence (as the AWS CLI):
//  credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (unless --profile names
//    a profile, as with `aws --profile`), then the profile in ~/.aws/credentials ([name]), then
//    ~/.aws/config ([profile name], [default]).
//  profile: --profile, AWS_PROFILE, "default". A named profile that exists nowhere is an error.
//  region: --region, AWS_REGION, AWS_DEFAULT_REGION, config_region, profile's `region`.
//  endpoint: AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, profile's `endpoint_url`, the default.
//  Files: AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE override the paths.
core::Result<AwsContext> resolve_context(const AwsOptions& options, const util::Env& env);

// Only the region, for commands that need no credentials.
std::optional<std::string> resolve_region(const AwsOptions& options, const util::Env& env);

std::string default_ec2_endpoint(const std::string& region);

}  // namespace gpunb::aws
