// Helpers shared by the EC2 action files: query parameters, XML reading, pagination.
#pragma once

#include <cstdint>
#include <functional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ec2_api.hpp"
#include "aws/ec2_client.hpp"

namespace gpunb::aws {

// prefix.1=a, prefix.2=b, ...
void add_list(Params& params, std::string_view prefix, const std::vector<std::string>& values);
// Filter.N.Name and Filter.N.Value.M
void add_filters(Params& params, const std::vector<Filter>& filters);
// prefix.N.Key and prefix.N.Value, e.g. prefix "TagSpecification.1.Tag"
void add_tags(Params& params, std::string_view prefix, const Tags& tags);

std::string base64_encode(std::string_view bytes);

// The text of a child element; empty when absent.
std::string child_text(const pugi::xml_node& node, const char* name);
// The <item> children of node/name, e.g. items(response, "reservationSet").
pugi::xml_object_range<pugi::xml_named_node_iterator> items(const pugi::xml_node& node,
                                                            const char* name);
// A decimal integer; 0 when absent or malformed.
std::int64_t to_int(std::string_view text);
// "2024-01-01T00:00:00.000Z" (UTC; the fraction is optional) to unix seconds; 0 when malformed.
std::int64_t parse_iso8601(std::string_view text);
Tags parse_tags(const pugi::xml_node& tag_set);

// The response element of a successful call.
using ResponsePage = std::function<void(const pugi::xml_node& response)>;
// Calls `action` and then again with NextToken until the last page.
core::Status for_each_page(Ec2Client& client, const std::string& action, const Params& params,
                           const ResponsePage& page);
// Calls `action` once and keeps only success or failure.
core::Status call_status(Ec2Client& client, const std::string& action, const Params& params);

}  // namespace gpunb::aws
