// Files: read whole, write via temp file + fsync + rename, permission checks.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace gpunb::util {

std::optional<std::string> read_file(const std::filesystem::path& path);
// Writes to PATH.tmp-XXXX with MODE, fsyncs, renames over PATH. Throws std::system_error.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       mode_t mode = 0644);
// Like write_file_atomic, but never replaces: returns false (writing nothing) when PATH exists.
bool write_file_exclusive(const std::filesystem::path& path, std::string_view content, mode_t mode);
void ensure_private_dir(const std::filesystem::path& dir);  // mkdir -p, then 0700
// True when group or others may read the file (or it does not exist as a regular file).
bool readable_by_others(const std::filesystem::path& path);

}  // namespace gpunb::util
