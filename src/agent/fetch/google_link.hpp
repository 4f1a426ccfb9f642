// Pieces of Google links shared by Drive (gdrive) and Docs (gdocs): ids, path segments, queries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpunb::data {

std::string ascii_lower(std::string_view text);
bool is_google_id_char(char c);            // [A-Za-z0-9_-]
bool is_google_id(std::string_view text);  // 25+ id characters: Drive files and Docs documents
std::vector<std::string_view> path_segments(std::string_view path);  // the non-empty ones
// NAME's value in "a=1&b=2" (a fragment "#gid=0" is read the same way), as written.
std::optional<std::string> query_value(std::string_view query, std::string_view name);

}  // namespace gpunb::data
