// Safe extraction with libarchive (zip, tar, and tar compressed with gzip, bzip2, xz or zstd)
// into DIR, subfolders made. Refused, with nothing written outside DIR: absolute paths, "..",
// symlinks or hard links that point outside DIR (or through a symlink), device files, FIFOs.
// Limits against bombs: total size, entry count, and the ratio of unpacked to packed bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "base/error.hpp"

namespace gpunb::data {

struct ExtractLimits {
  std::uint64_t max_bytes = 1ull << 40;  // 1 TiB unpacked in all
  std::uint64_t max_entries = 10'000'000;
  double max_ratio = 1000;  // unpacked / packed, checked once 64 MiB are unpacked
};

struct Extracted {
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;  // unpacked
};

// True for the names extraction handles by default (.zip .tar .tar.gz .tgz .tar.bz2 .tbz2
// .tar.xz .txz .tar.zst .tzst).
bool is_archive_name(std::string_view name);

// ARCHIVE is a complete file. It is unpacked into a stage beside DIR's entries and merged into
// DIR only once every entry is in (extract_stage.hpp): a refused entry leaves DIR as it was.
Result<Extracted> extract_file(const std::filesystem::path& archive,
                               const std::filesystem::path& dir, const ExtractLimits& limits);

// The archive's bytes come from READ (fills up to SIZE bytes of BUFFER; 0 at the end; a failure
// ends the extraction): tar streams unpack while they download. Entries land in DIR as they come;
// a caller that checks the stream afterwards (a checksum) extracts into a Stage and commits it.
using ReadFn = std::function<Result<size_t>(char* buffer, size_t size)>;
Result<Extracted> extract_stream(const ReadFn& read, const std::filesystem::path& dir,
                                 const ExtractLimits& limits);

}  // namespace gpunb::data
