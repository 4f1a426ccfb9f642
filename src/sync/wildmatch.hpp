// Glob matching with git's wildmatch rules (WM_PATHNAME): '*', '?' and '[...]' never match '/',
// "**" matches across folders where it stands alone between slashes, '\' escapes the next char.
#pragma once

#include <string_view>

namespace gpunb::sync {

bool wildmatch(std::string_view pattern, std::string_view text);

}  // namespace gpunb::sync
