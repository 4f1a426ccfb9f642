// Test archives for data/extract: entries written with libarchive's writer (zip, tar with gzip,
// bzip2, xz or zstd), a gzip bomb made of repeated members, and a sentinel folder whose listing
// shows whether anything appeared beside DIR.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace gpunb::testing {

namespace fs = std::filesystem;

struct ArchiveItem {
  std::string path;
  std::string data;
  unsigned mode = 0644;
  mode_t type = AE_IFREG;
  std::string link;  // symlink target, or hard link target when HARD
  bool hard = false;
  bool size_unknown = false;  // zip: the size comes after the data
  time_t mtime = 1'600'000'000;
};

enum class Kind { zip, tar, tar_gz, tar_bz2, tar_xz, tar_zst };

inline void set_format(archive* a, Kind kind) {
  if (kind == Kind::zip) {
    archive_write_set_format_zip(a);
    return;
  }
  archive_write_set_format_pax_restricted(a);
  if (kind == Kind::tar_gz) archive_write_add_filter_gzip(a);
  if (kind == Kind::tar_bz2) archive_write_add_filter_bzip2(a);
  if (kind == Kind::tar_xz) archive_write_add_filter_xz(a);
  if (kind == Kind::tar_zst) archive_write_add_filter_zstd(a);
}

inline void add_item(archive* a, const ArchiveItem& item) {
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, item.path.c_str());
  archive_entry_set_filetype(entry, item.hard ? AE_IFREG : item.type);
  archive_entry_set_perm(entry, item.mode);
  archive_entry_set_mtime(entry, item.mtime, 0);
  if (item.type == AE_IFLNK) archive_entry_set_symlink(entry, item.link.c_str());
  if (item.hard) archive_entry_set_hardlink(entry, item.link.c_str());
  if (item.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 3));
  if (item.type == AE_IFREG && !item.hard && !item.size_unknown) {
    archive_entry_set_size(entry, static_cast<la_int64_t>(item.data.size()));
  }
  ASSERT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
  if (!item.data.empty()) {
    ASSERT_EQ(archive_write_data(a, item.data.data(), item.data.size()),
              static_cast<la_ssize_t>(item.data.size()));
  }
  archive_entry_free(entry);
}

inline void write_archive(const fs::path& file, Kind kind, const std::vector<ArchiveItem>& items) {
  archive* a = archive_write_new();
  set_format(a, kind);
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
  for (const auto& item : items) add_item(a, item);
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

// One gzip member holding DATA.
inline std::string gzip_member(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A ustar header for one regular file NAME of SIZE bytes.
inline std::string tar_header(const std::string& name, std::uint64_t size) {
  std::string header(512, '\0');
  auto put = [&](size_t at, size_t width, std::uint64_t value) {  // octal, then a NUL
    char digits[32];
    std::snprintf(digits, sizeof digits, "%0*llo", static_cast<int>(width - 1),
                  static_cast<unsigned long long>(value));
    header.replace(at, width, std::string(digits, width - 1) + '\0');
  };
  header.replace(0, name.size(), name);
  put(100, 8, 0644);
  put(108, 8, 0);
  put(116, 8, 0);
  put(124, 12, size);
  put(136, 12, 1'600'000'000);
  header[156] = '0';
  header.replace(257, 8,
                 std::string("ustar\0"
                             "00",
                             8));
  header.replace(148, 8, "        ");
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  put(148, 7, sum);
  return header;
}

// A tar.gz of one file of GIB GiB of zeros, about 2 MB: the same gzip member of 64 MiB repeated.
inline void write_zero_bomb(const fs::path& file, unsigned gib) {
  std::ofstream out(file, std::ios::binary);
  out << gzip_member(tar_header("zeros.bin", std::uint64_t{gib} << 30));
  std::string chunk = gzip_member(std::string(64 << 20, '\0'));
  for (unsigned i = 0; i < gib * 16; ++i) out << chunk;
  out << gzip_member(std::string(1024, '\0'));
}

// BASE/ holding the archive and out/ (DIR): anything else appearing in BASE escaped.
struct Sandbox {
  Sandbox() {
    char pattern[] = "/tmp/gpunb-extract-test-XXXXXX";
    base = ::mkdtemp(pattern);
    dir = base / "out";
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  ~Sandbox() {
    std::error_code ec;
    fs::permissions(base, fs::perms::owner_all, ec);
    fs::remove_all(base, ec);
  }
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(base)) names.insert(entry.path().filename());
    return names;
  }
  std::uint64_t bytes_in_dir() const {
    std::uint64_t total = 0;
    if (!fs::exists(dir)) return 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) total += entry.file_size();
    }
    return total;
  }
  fs::path base, dir;
};

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace gpunb::testing
