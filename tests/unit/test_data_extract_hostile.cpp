// data/extract against hostile archives: each is refused with a "refused" failure naming the
// entry, and nothing appears beside DIR (the sentinel listing of its parent stays the same).
#include <gtest/gtest.h>

#include "data/archive/extract.hpp"
#include "test_data_extract.hpp"

namespace gpunb::data {
namespace {

namespace fs = std::filesystem;
using gpunb::testing::ArchiveItem;
using gpunb::testing::Kind;
using gpunb::testing::Sandbox;

// Extracts ITEMS (as KIND) and expects a refusal whose message holds WANT, DIR's parent unchanged.
void expect_refused(const std::vector<ArchiveItem>& items, const std::string& want,
                    Kind kind = Kind::tar, const ExtractLimits& limits = {}) {
  Sandbox box;
  gpunb::testing::write_archive(box.base / "a", kind, items);
  fs::create_directories(box.dir);
  auto before = box.listing();
  auto done = extract_file(box.base / "a", box.dir, limits);
  ASSERT_FALSE(done) << want;
  EXPECT_EQ(done.error().kind, ErrorKind::refused);
  EXPECT_NE(done.error().message.find(want), std::string::npos) << done.error().message;
  EXPECT_EQ(done.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(box.listing(), before);
}

ArchiveItem file(const std::string& path) {
  return {.path = path, .data = "evil\n"};
}

TEST(DataExtractHostile, ZipSlipAndAbsolutePaths) {
  expect_refused({file("ok.txt"), file("../evil")}, "refused archive entry \"../evil\"", Kind::zip);
  expect_refused({file("a/../../evil")}, "\"..\" part");
  std::string absolute = "/tmp/gpunb-evil-" + std::to_string(::getpid()) + "-" +
                         std::to_string(::testing::UnitTest::GetInstance()->random_seed());
  expect_refused({file(absolute)}, "absolute path", Kind::zip);
  EXPECT_FALSE(fs::exists(absolute));
}

TEST(DataExtractHostile, SymlinksOut) {
  expect_refused({{.path = "up", .type = AE_IFLNK, .link = ".."}, file("up/evil")},
                 "target is outside");
  expect_refused({{.path = "etc", .type = AE_IFLNK, .link = "/etc"}, file("etc/evil")},
                 "absolute target", Kind::zip);
  // Each link alone stays inside by its text; together they climb out.
  expect_refused({{.path = "d/l1", .type = AE_IFLNK, .link = ".."},
                  {.path = "l2", .type = AE_IFLNK, .link = "d/l1/.."},
                  file("l2/evil")},
                 "after a name");
}

TEST(DataExtractHostile, FilesThroughAnInTreeSymlink) {
  expect_refused(
      {{.path = "d/", .type = AE_IFDIR}, {.path = "l", .type = AE_IFLNK, .link = "d"}, file("l/x")},
      "\"l\" is a symlink");
}

TEST(DataExtractHostile, FilesThroughASymlinkAlreadyThere) {
  Sandbox box;
  fs::create_directories(box.dir);
  fs::create_directory(box.base / "target");
  fs::create_directory_symlink(box.base / "target", box.dir / "pre");
  gpunb::testing::write_archive(box.base / "a.tar", Kind::tar, {file("pre/evil")});
  auto done = extract_file(box.base / "a.tar", box.dir, {});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::refused);
  EXPECT_NE(done.error().message.find("\"pre\" is a symlink"), std::string::npos)
      << done.error().message;
  EXPECT_TRUE(fs::is_empty(box.base / "target"));
}

TEST(DataExtractHostile, HardLinksOut) {
  expect_refused({{.path = "pw", .link = "/etc/passwd", .hard = true}}, "hard link to");
  expect_refused({{.path = "x", .link = "../x", .hard = true}}, "\"..\" part");
  expect_refused({{.path = "x", .link = "later", .hard = true}, file("later")},
                 "not a file extracted before it");
  expect_refused(
      {{.path = "l", .type = AE_IFLNK, .link = "."}, {.path = "x", .link = "l", .hard = true}},
      "not a file extracted before it");
}

TEST(DataExtractHostile, SpecialFiles) {
  expect_refused({{.path = "fifo", .type = AE_IFIFO}}, "FIFO entries are not extracted");
  expect_refused({{.path = "null", .type = AE_IFCHR}}, "character device");
}

TEST(DataExtractHostile, TooManyEntries) {
  std::vector<ArchiveItem> items;
  for (int i = 0; i < 20; ++i) items.push_back(file("f" + std::to_string(i)));
  ExtractLimits limits;
  limits.max_entries = 10;
  expect_refused(items, "raise it with --max-extract-entries", Kind::zip, limits);
}

TEST(DataExtractHostile, SizeLimitWhileStreaming) {
  Sandbox box;  // a zip whose sizes come after the data: only the bytes themselves tell
  gpunb::testing::write_archive(
      box.base / "a.zip", Kind::zip,
      {{.path = "z", .data = std::string(32 << 20, '\0'), .size_unknown = true}});
  std::string bytes = gpunb::testing::read_file(box.base / "a.zip");
  size_t at = 0;
  ReadFn read = [&](char* buffer, size_t size) -> Result<size_t> {
    size_t n = std::min(size, bytes.size() - at);
    std::copy_n(bytes.data() + at, n, buffer);
    at += n;
    return n;
  };
  ExtractLimits limits;
  limits.max_bytes = 8 << 20;
  auto done = extract_stream(read, box.dir, limits);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::refused);
  EXPECT_NE(done.error().message.find("raise it with --max-extract-size"), std::string::npos);
  EXPECT_EQ(box.bytes_in_dir(), 0u);  // the partial file is gone
  EXPECT_EQ(box.listing(), (std::set<std::string>{"a.zip", "out"}));
}

TEST(DataExtractHostile, GzipBombBySize) {
  Sandbox box;
  gpunb::testing::write_zero_bomb(box.base / "bomb.tar.gz", 2);
  ExtractLimits limits;
  limits.max_bytes = 100 << 20;
  auto done = extract_file(box.base / "bomb.tar.gz", box.dir, limits);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::refused);
  EXPECT_NE(done.error().message.find("\"zeros.bin\""), std::string::npos);
  EXPECT_NE(done.error().message.find("size limit"), std::string::npos) << done.error().message;
  EXPECT_EQ(box.bytes_in_dir(), 0u);
}

TEST(DataExtractHostile, GzipBombByRatio) {
  Sandbox box;
  gpunb::testing::write_zero_bomb(box.base / "bomb.tar.gz", 2);
  ExtractLimits limits;
  limits.max_ratio = 10;
  auto done = extract_file(box.base / "bomb.tar.gz", box.dir, limits);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::refused);
  EXPECT_NE(done.error().message.find("raise it with --max-extract-ratio"), std::string::npos)
      << done.error().message;
  EXPECT_EQ(box.bytes_in_dir(), 0u);
  EXPECT_EQ(box.listing(), (std::set<std::string>{"bomb.tar.gz", "out"}));
}

}  // namespace
}  // namespace gpunb::data
