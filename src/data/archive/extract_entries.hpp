// Writing one archive entry at a time below DIR: regular files (to a temp name, then renamed),
// folders, symlinks and hard links that stay inside DIR; everything else refused. The limits are
// checked as the bytes come, so a bomb stops before it fills the disk.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "data/archive/extract.hpp"
#include "data/archive/extract_archive.hpp"
#include "data/archive/extract_dirs.hpp"
#include "data/archive/extract_paths.hpp"

namespace gpunb::data {

class EntryWriter {
 public:
  EntryWriter(ArchiveReader& reader, TreeDirs& dirs, const ExtractLimits& limits)
      : reader_(reader), dirs_(dirs), limits_(limits) {}

  // The entry whose header READER just gave; failures name the entry.
  Status write(archive_entry* entry);
  // Modes and times of the folders the archive listed (set last: files inside change them).
  Status finish();
  const Extracted& totals() const { return totals_; }

 private:
  struct FolderFix {
    std::string path;
    mode_t mode;
    timespec times[2];
  };
  Status write_entry(archive_entry* entry, const EntryPath& path);
  Status write_file(archive_entry* entry, const EntryPath& path);
  Status write_data(int fd, std::int64_t declared);
  Status write_folder(archive_entry* entry, const EntryPath& path);
  Status write_symlink(archive_entry* entry, const EntryPath& path);
  Status write_hardlink(const char* target, const EntryPath& path);
  Status count_bytes(size_t size);
  std::string temp_name(const std::string& name);

  ArchiveReader& reader_;
  TreeDirs& dirs_;
  const ExtractLimits& limits_;
  Extracted totals_;
  std::unordered_set<std::string> files_;  // regular files written: what hard links may name
  std::vector<FolderFix> folders_;
  std::uint64_t temp_counter_ = 0;
  std::string pid_;
};

}  // namespace gpunb::data
