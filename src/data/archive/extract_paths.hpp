// Entry names and symlink targets of an archive, checked as text before anything touches the disk
// (the folders are then opened without following symlinks: extract_dirs.hpp).
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace gpunb::data {

// A relative path below DIR: "./" parts and empty parts dropped, never "..".
struct EntryPath {
  std::string dir;   // "" for DIR itself
  std::string name;  // "" only for DIR itself ("./")
  std::string full;  // dir + "/" + name
  size_t depth = 0;  // folders between DIR and the entry
};

// A "refused" failure for names that are not UTF-8, absolute paths and ".." parts.
Result<EntryPath> check_entry_path(std::string_view raw);

// A symlink at LINK pointing to TARGET stays inside DIR: TARGET is relative, its ".." parts come
// first and climb no higher than DIR. A ".." after a name could climb out through another symlink
// (l1 -> "..", then l2 -> "d/l1/.."), so it is refused even when the text alone stays inside.
Status check_symlink_target(const EntryPath& link, std::string_view target);

// True when TEXT is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
// Entry names and link targets must be: a name the archive gives as other bytes is refused.
bool is_utf8(std::string_view text);

// NAME for an error line: quoted, control characters as '?', bytes that are not UTF-8 as \xNN,
// at most 200 bytes of it.
std::string shown(std::string_view name);

}  // namespace gpunb::data
