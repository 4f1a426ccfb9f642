// fs.list: every regular file (and symlink, reported, never followed) below a root, sorted by
// path, without descending into .git/, __pycache__/ or .ipynb_checkpoints/. Stale gpunb temp files
// met on the way are removed and never listed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace gpunb::agent {

struct ListedFile {
  std::string path;  // relative, '/'-separated
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint32_t mode = 0;  // permission bits
  bool symlink = false;
};

struct Listing {
  std::vector<ListedFile> files;
  size_t stale_temps_removed = 0;
};

// A missing root lists as empty. An unreadable folder fails the listing: a partial one would read
// as deletions.
Result<Listing> list_tree(const std::string& root);

bool skipped_dir_name(const std::string& name);  // .git, __pycache__, .ipynb_checkpoints

}  // namespace gpunb::agent
