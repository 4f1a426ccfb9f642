// The files of one side of a sync: what a local scan or the agent's remote listing reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "sync/ignore.hpp"

namespace gpunb::sync {

struct Entry {
  std::string path;  // relative to the workspace root, '/'-separated
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;          // since the epoch
  std::uint32_t mode = 0;             // permission bits
  std::optional<std::string> sha256;  // lowercase hex, when computed
  bool is_symlink = false;            // reported, never synced
};

// Walks ROOT: regular files and symlinks (not followed), sorted by path. Folders the ignore rules
// match are not entered; other file types are left out. Any unreadable folder or file fails the
// scan: a partial listing would read as deletions.
core::Result<std::vector<Entry>> scan_local(const std::filesystem::path& root,
                                            const Ignore& ignore);

// SHA-256 of the file's content, streamed, as lowercase hex.
core::Result<std::string> hash_file(const std::filesystem::path& path);

// Fills in sha256 for the entries whose path is in PATHS (sorted), reading them under ROOT.
core::Status hash_entries(const std::filesystem::path& root, std::vector<Entry>& entries,
                          const std::vector<std::string>& paths);

// Removes the entries the ignore rules exclude (for listings made without them: the remote's).
void drop_ignored(std::vector<Entry>& entries, const Ignore& ignore);

}  // namespace gpunb::sync
