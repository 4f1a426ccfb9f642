// Reading a download's response head: the failure for a status, Content-Range, the validator, and
// ranged requests (Range + If-Range).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "data/net/http.hpp"

namespace gpunb::data {

struct ContentRange {
  std::uint64_t start = 0, end = 0;    // [start, end)
  std::optional<std::uint64_t> total;  // nullopt for "*"
};

std::optional<ContentRange> content_range(const HttpHead& head);
// The strong ETag, else Last-Modified; empty when the response has neither (or a weak ETag only
// and no date).
std::string validator_of(const HttpHead& head);
// The failure for a status that is not 200/206: not_found (404, 410), network (408, 429, 5xx:
// worth retrying), refused (others).
Error status_failure(int status, const Url& url);
// REQUEST with "Range: bytes=START-" (END: up to END exclusive) and If-Range when VALIDATOR is set.
HttpRequest ranged(const HttpRequest& request, std::uint64_t start,
                   std::optional<std::uint64_t> end, const std::string& validator);

}  // namespace gpunb::data
