// A libarchive reader that knows zip and tar (plain, gzip, bzip2, xz, zstd) and nothing else: the
// other formats would pull libxml2 and friends into the static agent. Move-only.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "data/archive/extract.hpp"

namespace gpunb::data {

// A block of an entry's data: BYTES at OFFSET in the file (sparse entries skip ahead).
struct DataBlock {
  const char* bytes = nullptr;
  size_t size = 0;
  std::int64_t offset = 0;
  bool end = false;  // the entry's data is over
};

class ArchiveReader {
 public:
  static Result<ArchiveReader> open_file(const std::filesystem::path& path);
  // READ must outlive the reader.
  static Result<ArchiveReader> open_stream(const ReadFn& read);
  ArchiveReader(ArchiveReader&&) noexcept;
  ArchiveReader& operator=(ArchiveReader&&) noexcept;
  ~ArchiveReader();

  // The next entry's header, nullptr at the end; valid until the next call.
  Result<archive_entry*> next();
  // The next block of the current entry's data.
  Result<DataBlock> data();
  std::uint64_t packed_bytes() const;  // read from the file or stream so far

 private:
  struct Stream;  // the callback's state for open_stream
  struct Close {
    void operator()(archive* handle) const { archive_read_free(handle); }
  };
  ArchiveReader();
  Error failure(const std::string& what) const;

  std::unique_ptr<archive, Close> handle_;
  std::unique_ptr<Stream> stream_;
};

}  // namespace gpunb::data
