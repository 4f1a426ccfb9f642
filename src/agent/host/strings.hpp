// String helpers for the agent (util/ is not linked: it pulls fmt, which has no static archive).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gpunb::agent {

std::vector<std::string> split(std::string_view text, char separator);
std::string trim(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
// 'TEXT' for a POSIX shell: single quotes, with each ' written as '\''.
std::string shell_quote(std::string_view text);
bool valid_name(std::string_view name);  // [A-Za-z0-9_-]{1,64}: file names and tmux sessions

}  // namespace gpunb::agent
