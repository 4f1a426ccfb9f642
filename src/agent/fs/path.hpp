// Paths below a root the agent serves for sync: relative, '/'-separated, no "." or "..", and
// opened folder by folder with O_NOFOLLOW, so nothing is ever read or written outside the root.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace gpunb::agent {

// The folder part and the file name of a relative path that passes check_relative_path.
struct SplitPath {
  std::string dir;  // "" for the root itself
  std::string name;
};

// A usage failure for absolute paths, "..", ".", empty parts, NUL, and the temp-file pattern.
Result<SplitPath> check_relative_path(std::string_view path);

// The root folder (with "~/" expanded) and the folders below it opened so far. Move-only.
class RootDir {
 public:
  // Missing root: created when CREATE (mkdir -p), else a not_found failure.
  static Result<RootDir> open(const std::string& root, bool create);
  RootDir(RootDir&& other) noexcept;
  RootDir& operator=(RootDir&& other) noexcept;
  ~RootDir();

  int fd() const { return fd_; }
  // The folder DIR (relative, checked) opened without following any symlink: the descriptor stays
  // owned here until close_dirs(). Missing folders are made when CREATE.
  Result<int> dir(const std::string& dir, bool create);
  size_t open_dirs() const { return dirs_.size(); }
  Status sync_dirs() const;  // fsync of every open folder, the root included
  void close_dirs();

 private:
  explicit RootDir(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::map<std::string, int> dirs_;
};

// Temp files: ".NAME.gpunb-tmp-PID-RANDOM" beside their final name.
std::string temp_name(const std::string& name);
bool is_temp_name(std::string_view name);
// True when the temp's writer (by the PID in its name) is gone.
bool is_stale_temp(std::string_view name);

}  // namespace gpunb::agent
