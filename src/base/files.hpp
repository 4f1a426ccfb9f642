// Files for both binaries: read whole, write whole without ever leaving a half-written file, make
// folders. Nothing here follows a link planted where a temp file goes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace gpunb::base {

std::optional<std::string> read_file(const std::filesystem::path& path);
// Writes PATH.tmp-RANDOM (O_EXCL|O_NOFOLLOW: never through a planted file or link) with MODE,
// fsyncs it, renames it over PATH.
Status write_atomic(const std::filesystem::path& path, std::string_view content,
                    mode_t mode = 0644);
// Like write_atomic, but never replaces: false (nothing written) when PATH exists.
Result<bool> write_exclusive(const std::filesystem::path& path, std::string_view content,
                             mode_t mode);
Status make_dirs(const std::filesystem::path& dir, mode_t mode);  // mkdir -p; MODE on the last one
// All SIZE bytes of DATA to FD, at OFFSET for pwrite_all (EINTR retried). On failure errno is the
// call's, for callers that name the file in their own message.
Status write_all(int fd, const char* data, size_t size);
Status pwrite_all(int fd, const char* data, size_t size, std::uint64_t offset);

}  // namespace gpunb::base
