// The body of an EC2 Query API call.
#pragma once

#include <string>

#include "aws/ec2_client.hpp"

namespace gpunb::aws {

// "Action=...&Version=...&" then PARAMS in order, encoded byte for byte as botocore encodes a Query
// body (a space as '+'), since EC2-compatible servers may re-encode the parameters they parsed
// before checking the signature.
std::string query_body(const std::string& action, const Params& params);

}  // namespace gpunb::aws
