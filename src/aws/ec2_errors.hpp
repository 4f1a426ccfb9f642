// EC2 error codes mapped to core::Error kinds, messages and hints.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace gpunb::aws {

// One <Error> from an EC2 error envelope.
struct Ec2ErrorReply {
  std::string code;
  std::string message;  // as EC2 sent it; cleaned before it reaches a core::Error
};

// Throttling and server-side failures that a retry may cure.
bool is_retryable_code(std::string_view code);
// Whether a reply with this HTTP status deserves another attempt: retryable codes, and 5xx
// replies unless the code is a definite answer (EC2 sends InsufficientInstanceCapacity as 500).
bool should_retry(const Ec2ErrorReply& reply, long http_status);

// The core::Error for an EC2 error reply. The message is one line and begins with the action;
// every mapped message carries "EC2 <code>" so callers can test for a code (has_ec2_code).
// `region` fills the "unknown region" message.
core::Error map_ec2_error(std::string_view action, const Ec2ErrorReply& reply,
                          std::string_view region);

// True when `error` came from an EC2 reply with exactly this code.
bool has_ec2_code(const core::Error& error, std::string_view code);

// Makes an EC2 message fit one line: drops encoded authorization blobs, folds whitespace,
// truncates very long text.
std::string clean_ec2_message(std::string_view message);

}  // namespace gpunb::aws
