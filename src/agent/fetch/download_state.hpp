// The pieces of agent/fetch/download.cpp: the part file's JSON state (which byte ranges are done),
// the part file itself (a move-only descriptor with positioned writes), and the running digests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/hash.hpp"
#include "data/net/socket.hpp"

namespace gpunb::data {

using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;  // [start, end), sorted

void add_range(Ranges& ranges, std::uint64_t start, std::uint64_t end);  // merged with neighbours
bool covers(const Ranges& ranges, std::uint64_t start, std::uint64_t end);
std::uint64_t prefix_end(const Ranges& ranges);  // where the run of bytes from 0 ends
std::uint64_t range_bytes(const Ranges& ranges);

// DIR/NAME, DIR/.NAME.gpunb-part, DIR/.NAME.gpunb-part.json and DIR/.NAME.gpunb-part.lock.
struct PartPaths {
  std::filesystem::path final, part, state, lock;
  PartPaths(const std::filesystem::path& dir, const std::string& name);
};

// Held while a download writes NAME: a second download of the same file into the same folder
// at the same time (two fetches, or a rerun while the first still runs) is refused instead of
// writing the same part file. The lock file goes away with the lock.
class PartLock {
 public:
  static Result<PartLock> take(const PartPaths& paths);
  PartLock(PartLock&& other) noexcept
      : fd_(std::move(other.fd_)), path_(std::exchange(other.path_, {})) {}
  PartLock& operator=(PartLock&& other) noexcept;
  PartLock(const PartLock&) = delete;
  PartLock& operator=(const PartLock&) = delete;
  ~PartLock() { release(); }

 private:
  PartLock(Fd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  void release();

  Fd fd_;
  std::filesystem::path path_;
};

struct PartState {
  std::string url;         // the request's URL, without its query
  std::string validator;   // ETag (strong) or Last-Modified; empty: none known (no resume)
  std::uint64_t size = 0;  // 0: unknown
  Ranges done;
};

std::optional<PartState> load_state(const std::filesystem::path& path);  // nullopt: none or bad
Status save_state(const std::filesystem::path& path, const PartState& state);

class PartFile {
 public:
  static Result<PartFile> open(const std::filesystem::path& path);  // made if absent
  Status truncate(std::uint64_t size);
  Status preallocate(std::uint64_t size);  // posix_fallocate, else ftruncate
  Status write_at(const char* data, size_t size, std::uint64_t offset);
  Result<size_t> read_at(char* data, size_t size, std::uint64_t offset) const;
  Result<std::uint64_t> size() const;
  Status sync(bool data_only) const;
  int fd() const { return fd_.get(); }

 private:
  Fd fd_;
  std::filesystem::path path_;
};

class Digest {  // SHA-256 always, MD5 when asked
 public:
  explicit Digest(bool md5);
  void update(const char* data, size_t size);
  std::string sha256_hex() { return sha_.hex_digest(); }            // finishes: call once
  std::string md5_hex() { return md5_ ? md5_->hex_digest() : ""; }  // finishes: call once
  bool has_md5() const { return md5_.has_value(); }

 private:
  base::Hash sha_;
  std::optional<base::Hash> md5_;
};

// Adds the first LENGTH bytes of FILE to DIGEST.
Status digest_file(const PartFile& file, std::uint64_t length, Digest& digest);

}  // namespace gpunb::data
