// Files for the agent: no fmt, no NSS, nothing but the C library (the agent is linked statically).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace gpunb::agent {

std::optional<std::string> read_text(const std::filesystem::path& path);
// Writes PATH.tmp-RANDOM (made with O_EXCL|O_NOFOLLOW: never through a planted link) with MODE,
// fsyncs, renames over PATH.
Status write_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode);
Status make_dirs(const std::filesystem::path& dir, mode_t mode);  // mkdir -p; MODE on the last one
// $HOME, else the uid's entry of /etc/passwd read by hand (getpwuid would go through NSS).
std::string home_dir();
std::filesystem::path expand_home(const std::string& path);  // "~" and "~/..." only
std::string random_hex(size_t bytes);                        // getrandom(2)
std::string utc_now();                                       // 2024-05-01T12:00:00Z
// The last LINES lines of TEXT.
std::string last_lines(std::string_view text, size_t lines);
// Replaces every occurrence of SECRET in TEXT with "***".
std::string redact(std::string text, const std::string& secret);

}  // namespace gpunb::agent
