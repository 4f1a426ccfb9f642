// Private folders and permission checks for the laptop's key and state (reading and writing files:
// base/files.hpp).
#pragma once

#include <filesystem>

namespace gpunb::util {

void ensure_private_dir(const std::filesystem::path& dir);  // mkdir -p, then 0700; throws
// True when group or others may read the file (or it does not exist as a regular file).
bool readable_by_others(const std::filesystem::path& path);

}  // namespace gpunb::util
