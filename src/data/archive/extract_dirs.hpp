// The folders of an extraction: DIR and the folders below it, each opened from its parent with
// O_NOFOLLOW | O_DIRECTORY, so a symlink in the way (from the archive or already there) is refused
// instead of followed. The descriptors opened so far are kept for the next entries.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace gpunb::data {

class TreeDirs {
 public:
  // DIR, made (mkdir -p) when missing.
  static Result<TreeDirs> open(const std::filesystem::path& dir);

  // The folder REL ("" for DIR; a path from check_entry_path) made as needed with MODE (the umask
  // applies), never through a symlink: "refused" when one is in the way. The descriptor stays
  // owned here, valid until the next call.
  Result<int> dir(const std::string& rel, mode_t mode = 0755);
  // The same folder on a descriptor of its own (for a second folder open at once).
  Result<Fd> open_copy(const std::string& rel);
  int root() const { return root_.get(); }

 private:
  explicit TreeDirs(Fd root) : root_(std::move(root)) {}
  Result<int> open_child(int parent, const std::string& rel, size_t start, mode_t mode);

  Fd root_;
  std::unordered_map<std::string, Fd> open_;  // kept to a few hundred descriptors
};

}  // namespace gpunb::data
