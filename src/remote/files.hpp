// Files for notebook sync, both ends. Here: streaming SHA-256, files arriving from the machine
// written beside their final name as ".NAME.gpunb-tmp-PID-RANDOM" and committed in batches (one
// syncfs, then the renames, then the folders' fsyncs), the cleanup of stale temp files. There:
// fs.list / fs.hash / fs.delete through the agent.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "remote/agent.hpp"

namespace gpunb::remote {

// A usage error for absolute paths, "..", ".", empty parts and NUL.
core::Status check_relative_path(std::string_view path);
bool is_temp_name(std::string_view name);  // ".NAME.gpunb-tmp-..."

// The permission bits a pulled file may get from the machine: no set-id or sticky bits, no write
// for group or others (a compromised machine must not make the laptop's files writable by all).
inline constexpr std::uint32_t kPulledModeMask = 0755;

// One file being received, open for writing in its temp file.
class IncomingFile {
 public:
  // Makes the missing folders; refuses a path through a symlink.
  static core::Result<IncomingFile> create(const std::filesystem::path& root,
                                           const std::string& path);
  IncomingFile(IncomingFile&& other) noexcept;
  IncomingFile& operator=(IncomingFile&&) = delete;
  ~IncomingFile();  // removes the temp file unless it was finished
  core::Status write(const char* data, size_t size);
  // Sets MODE (masked with kPulledModeMask) and the time, closes; ready to commit.
  core::Status finish(std::uint32_t mode, std::int64_t mtime_ns);
  const std::string& path() const { return path_; }

 private:
  IncomingFile(std::string path, std::filesystem::path temp, std::filesystem::path final_path,
               int fd)
      : path_(std::move(path)), temp_(std::move(temp)), final_(std::move(final_path)), fd_(fd) {}
  friend class IncomingBatch;
  std::string path_;
  std::filesystem::path temp_, final_;
  int fd_ = -1;
  std::uint64_t written_ = 0;
  bool finished_ = false;
};

struct Committed {
  std::string path;
  core::Status status;
};

// Finished files waiting for their rename.
class IncomingBatch {
 public:
  explicit IncomingBatch(const std::filesystem::path& root);
  void add(IncomingFile file, std::uint64_t size);
  size_t files() const { return files_.size(); }
  std::uint64_t bytes() const { return bytes_; }
  std::vector<Committed> commit();  // flush, renames, fsync of the folders

 private:
  bool flush() const;
  std::filesystem::path root_;
  std::vector<IncomingFile> files_;
  std::uint64_t bytes_ = 0;
};

// Removes the temp files of interrupted runs below ROOT (their writer's PID is gone).
size_t remove_stale_temps(const std::filesystem::path& root);

// What fs.list reports of a file below a remote root (the laptop applies .gpunbignore to it).
struct RemoteEntry {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint32_t mode = 0;
  bool is_symlink = false;
};
// Sorted by path; a missing root lists as empty.
core::Result<std::vector<RemoteEntry>> list_remote(Agent& agent, const std::string& root);
// path -> sha256 hex; paths that could not be hashed (gone, unreadable) are left out.
core::Result<std::map<std::string, std::string>> hash_remote(Agent& agent, const std::string& root,
                                                             const std::vector<std::string>& paths);
// Deletes files (and the folders they leave empty): the paths now absent (deleted or already gone).
core::Result<std::vector<std::string>> delete_remote(Agent& agent, const std::string& root,
                                                     const std::vector<std::string>& paths);

}  // namespace gpunb::remote
