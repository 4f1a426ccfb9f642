// Small string helpers with no product knowledge.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gpunb::base {

std::string trim(std::string_view text);
std::vector<std::string> split(std::string_view text, char separator);
std::string to_lower(std::string_view text);
bool starts_with_icase(std::string_view text, std::string_view prefix);
std::string hex(std::string_view bytes);
// RFC 3986 percent-encoding of everything but unreserved characters; '/' kept when asked.
std::string uri_encode(std::string_view text, bool keep_slash = false);
// Decodes %XX; '+' becomes a space only when asked (form bodies), never in SigV4 queries.
std::string uri_decode(std::string_view text, bool plus_as_space = true);
std::string base64_decode(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
// 'TEXT' for a POSIX shell: single quotes, with each ' written as '\''.
std::string shell_quote(std::string_view text);
std::string last_lines(std::string_view text, size_t lines);  // the last LINES lines of TEXT
bool valid_name(std::string_view name);  // [A-Za-z0-9_-]{1,64}: file names and tmux sessions

}  // namespace gpunb::base
