// data/extract on well-formed archives: every format with nested folders, modes, times, an
// in-tree symlink and hard link; reruns over existing files; streaming in small pieces; the
// hidden `gpunb-agent extract` mode. Hostile archives: test_data_extract_hostile.cpp.
#include "test_data_extract.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "data/archive/extract.hpp"
#include "data/archive/extract_main.hpp"

namespace gpunb::data {
namespace {

namespace fs = std::filesystem;
using gpunb::testing::ArchiveItem;
using gpunb::testing::Kind;
using gpunb::testing::Sandbox;

std::vector<ArchiveItem> sample_tree(bool with_hard_link) {
  std::vector<ArchiveItem> items = {
      {.path = "top/", .mode = 0750, .type = AE_IFDIR, .mtime = 1'500'000'000},
      {.path = "top/a.txt", .data = "alpha\n", .mode = 0640},
      {.path = "top/sub/deep/b.bin", .data = std::string(300'000, 'b'), .mode = 0755},
      {.path = "./top/sub/c.py", .data = "print(1)\n", .mode = 04755},  // setuid dropped
      {.path = "top/empty", .data = ""},
      {.path = "top/sub/link", .type = AE_IFLNK, .link = "../a.txt"},
  };
  if (with_hard_link) items.push_back({.path = "top/hard", .link = "top/a.txt", .hard = true});
  return items;
}

void expect_file(const Sandbox& box, const std::string& path, const std::string& data,
                 unsigned mode, time_t mtime) {
  struct stat info {};
  ASSERT_EQ(::lstat((box.dir / path).c_str(), &info), 0) << path;
  EXPECT_TRUE(S_ISREG(info.st_mode)) << path;
  EXPECT_EQ(info.st_mode & 07777, mode) << path;
  EXPECT_EQ(info.st_mtim.tv_sec, mtime) << path;
  EXPECT_TRUE(gpunb::testing::read_file(box.dir / path) == data) << path;
}

void expect_sample_tree(const Sandbox& box, bool with_hard_link) {
  expect_file(box, "top/a.txt", "alpha\n", 0640, 1'600'000'000);
  expect_file(box, "top/sub/deep/b.bin", std::string(300'000, 'b'), 0755, 1'600'000'000);
  expect_file(box, "top/sub/c.py", "print(1)\n", 0755, 1'600'000'000);
  expect_file(box, "top/empty", "", 0644, 1'600'000'000);
  EXPECT_EQ(fs::read_symlink(box.dir / "top/sub/link"), "../a.txt");
  EXPECT_EQ(gpunb::testing::read_file(box.dir / "top/sub/link"), "alpha\n");
  struct stat top {};
  ASSERT_EQ(::stat((box.dir / "top").c_str(), &top), 0);
  EXPECT_EQ(top.st_mode & 0777, 0750u);
  EXPECT_EQ(top.st_mtim.tv_sec, 1'500'000'000);
  if (with_hard_link) {
    EXPECT_TRUE(fs::equivalent(box.dir / "top/hard", box.dir / "top/a.txt"));
  }
  for (const auto& entry : fs::recursive_directory_iterator(box.dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".gpunb-tmp-"), std::string::npos);
  }
}

class ExtractFormats : public ::testing::TestWithParam<std::pair<Kind, const char*>> {};

TEST_P(ExtractFormats, UnpacksTheTreeAndRerunsOverIt) {
  auto [kind, name] = GetParam();
  bool hard = kind != Kind::zip;  // zip has no hard links
  Sandbox box;
  gpunb::testing::write_archive(box.base / name, kind, sample_tree(hard));
  EXPECT_TRUE(is_archive_name(name));
  for (int run = 0; run < 2; ++run) {
    auto done = extract_file(box.base / name, box.dir, {});
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(done->entries, hard ? 7u : 6u);
    EXPECT_EQ(done->bytes, 6u + 300'000u + 9u);
    expect_sample_tree(box, hard);
  }
  EXPECT_EQ(box.listing(), (std::set<std::string>{name, "out"}));
}

INSTANTIATE_TEST_SUITE_P(
    All, ExtractFormats,
    ::testing::Values(std::pair{Kind::zip, "a.zip"}, std::pair{Kind::tar, "a.tar"},
                      std::pair{Kind::tar_gz, "a.tar.gz"}, std::pair{Kind::tar_bz2, "a.tbz2"},
                      std::pair{Kind::tar_xz, "a.tar.xz"}, std::pair{Kind::tar_zst, "a.tar.zst"}));

TEST(DataExtract, ArchiveNames) {
  for (const char* name : {"x.zip", "X.TAR.GZ", "a.b.tgz", "d.tar.zst", "d.tzst", "e.txz"}) {
    EXPECT_TRUE(is_archive_name(name)) << name;
  }
  for (const char* name : {"x.gz", "zip", ".zip", "x.tar.gz.part", "x.7z", "x.csv"}) {
    EXPECT_FALSE(is_archive_name(name)) << name;
  }
}

TEST(DataExtract, ReplacesFilesWithoutWritingThroughThem) {
  Sandbox box;
  fs::create_directories(box.dir / "top");
  fs::permissions(box.dir / "top",
                  static_cast<fs::perms>(0750));  // an existing folder's mode stays
  std::ofstream(box.base / "outside") << "keep";
  fs::create_hard_link(box.base / "outside", box.dir / "top/a.txt");  // a link to outside DIR
  fs::create_symlink(box.base / "outside", box.dir / "top/empty");
  gpunb::testing::write_archive(box.base / "a.tar", Kind::tar, sample_tree(true));
  auto done = extract_file(box.base / "a.tar", box.dir, {});
  ASSERT_TRUE(done) << done.error().message;
  expect_sample_tree(box, true);
  EXPECT_EQ(gpunb::testing::read_file(box.base / "outside"), "keep");
}

TEST(DataExtract, StreamsATarGzInSmallPieces) {
  Sandbox box;
  gpunb::testing::write_archive(box.base / "a.tgz", Kind::tar_gz, sample_tree(true));
  std::string bytes = gpunb::testing::read_file(box.base / "a.tgz");
  size_t at = 0, calls = 0;
  ReadFn read = [&](char* buffer, size_t size) -> Result<size_t> {
    size_t n = std::min({size, bytes.size() - at, size_t{97}});
    std::copy_n(bytes.data() + at, n, buffer);
    at += n, ++calls;
    return n;
  };
  auto done = extract_stream(read, box.dir, {});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_GT(calls, 3u);
  EXPECT_EQ(done->entries, 7u);
  expect_sample_tree(box, true);
}

TEST(DataExtract, AStreamFailureEndsTheExtraction) {
  Sandbox box;
  gpunb::testing::write_archive(box.base / "a.tgz", Kind::tar_gz, sample_tree(true));
  std::string bytes = gpunb::testing::read_file(box.base / "a.tgz");
  bool sent = false;
  ReadFn read = [&](char* buffer, size_t) -> Result<size_t> {
    if (std::exchange(sent, true)) return fail(ErrorKind::network, "the download stalled");
    std::copy_n(bytes.data(), bytes.size() / 2, buffer);
    return bytes.size() / 2;
  };
  auto done = extract_stream(read, box.dir, {});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::network);
  EXPECT_EQ(done.error().message, "the download stalled");
}

TEST(DataExtract, MissingOrBrokenArchives) {
  Sandbox box;
  auto missing = extract_file(box.base / "nope.zip", box.dir, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  std::ofstream(box.base / "junk.zip") << "this is not an archive at all";
  auto junk = extract_file(box.base / "junk.zip", box.dir, {});
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().kind, ErrorKind::internal);
  EXPECT_EQ(junk.error().message.find('\n'), std::string::npos);
}

int run_main(std::vector<std::string> args) {
  args.insert(args.begin(), {"gpunb-agent", "extract"});
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  return extract_main(static_cast<int>(argv.size()), argv.data());
}

TEST(DataExtract, HiddenAgentMode) {
  Sandbox box;
  gpunb::testing::write_archive(box.base / "a.zip", Kind::zip, sample_tree(false));
  std::string archive = (box.base / "a.zip").string(), dir = box.dir.string();
  EXPECT_EQ(run_main({archive, dir}), 0);
  EXPECT_EQ(run_main({archive, dir, "--max-entries", "2"}), 7);
  EXPECT_EQ(run_main({archive, dir, "--max-bytes", "1000", "--max-ratio", "2.5"}), 7);
  EXPECT_EQ(run_main({archive}), 2);
  EXPECT_EQ(run_main({archive, dir, "--max-ratio"}), 2);
  EXPECT_EQ(run_main({archive, dir, "--max-bytes", "x"}), 2);
  EXPECT_EQ(run_main({archive + ".missing", dir}), 1);
}

}  // namespace
}  // namespace gpunb::data
