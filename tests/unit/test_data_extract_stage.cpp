// data/extract's stage: an archive becomes visible in DIR all at once, only after every entry is
// in (and, for a stream, after the caller's checksum); otherwise DIR stays exactly as it was.
#include <gtest/gtest.h>

#include <algorithm>

#include "data/archive/extract.hpp"
#include "data/archive/extract_stage.hpp"
#include "test_data_extract.hpp"

namespace gpunb::data {
namespace {

namespace fs = std::filesystem;
using gpunb::testing::ArchiveItem;
using gpunb::testing::Kind;
using gpunb::testing::read_file;
using gpunb::testing::Sandbox;

// Every path below DIR, hidden ones too.
std::set<std::string> tree_of(const fs::path& dir) {
  std::set<std::string> paths;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    paths.insert(entry.path().lexically_relative(dir).string());
  }
  return paths;
}

ReadFn reader_of(const std::string& bytes) {
  auto at = std::make_shared<size_t>(0);
  return [&bytes, at](char* buffer, size_t size) -> Result<size_t> {
    size_t n = std::min(size, bytes.size() - *at);
    std::copy_n(bytes.data() + *at, n, buffer);
    *at += n;
    return n;
  };
}

TEST(DataExtractStage, ARefusedEntryLeavesTheFolderAsItWas) {
  Sandbox box;
  fs::create_directories(box.dir / "old");
  std::ofstream(box.dir / "a.txt") << "mine";
  gpunb::testing::write_archive(box.base / "a.tar", Kind::tar,
                                {{.path = "a.txt", .data = "theirs"},
                                 {.path = "new/b.txt", .data = "new"},
                                 {.path = "../evil", .data = "evil"}});
  auto before = tree_of(box.dir);
  auto done = extract_file(box.base / "a.tar", box.dir, {});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::refused);
  EXPECT_EQ(read_file(box.dir / "a.txt"), "mine");
  EXPECT_EQ(tree_of(box.dir), before);
}

TEST(DataExtractStage, AStreamIsInvisibleUntilCommittedAndGoneIfNot) {
  Sandbox box;
  std::ofstream(box.base / "keep") << "x";
  gpunb::testing::write_archive(box.base / "a.tgz", Kind::tar_gz,
                                {{.path = "top/a.txt", .data = "alpha"}, {.path = "b.txt"}});
  std::string bytes = read_file(box.base / "a.tgz");
  fs::create_directories(box.dir);
  std::ofstream(box.dir / "b.txt") << "mine";
  for (bool commit : {false, true}) {
    auto stage = Stage::make(box.dir, "a.tgz");
    ASSERT_TRUE(stage) << stage.error().message;
    EXPECT_EQ(stage->path().parent_path(), box.dir);
    auto done = extract_stream(reader_of(bytes), stage->path(), {});
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(read_file(box.dir / "b.txt"), "mine");
    EXPECT_FALSE(fs::exists(box.dir / "top"));
    if (!commit) continue;  // dropped: the checksum failed
    ASSERT_TRUE(stage->commit());
  }
  EXPECT_EQ(tree_of(box.dir), (std::set<std::string>{"b.txt", "top", "top/a.txt"}));
  EXPECT_EQ(read_file(box.dir / "top/a.txt"), "alpha");
  EXPECT_EQ(read_file(box.dir / "b.txt"), "");
}

TEST(DataExtractStage, MergesIntoExistingFoldersWhichKeepTheirMode) {
  Sandbox box;
  fs::create_directories(box.dir / "top/sub");
  std::ofstream(box.dir / "top/other.txt") << "other";
  ::chmod((box.dir / "top").c_str(), 0700);
  ::chmod(box.dir.c_str(), 0711);
  gpunb::testing::write_archive(
      box.base / "a.tar", Kind::tar,
      {{.path = "./", .mode = 0777, .type = AE_IFDIR},
       {.path = "top/", .mode = 0755, .type = AE_IFDIR, .mtime = 1'500'000'000},
       {.path = "top/sub/c.txt", .data = "c"},
       {.path = "fresh/", .mode = 0750, .type = AE_IFDIR},
       {.path = "fresh/d.txt", .data = "d"}});
  auto done = extract_file(box.base / "a.tar", box.dir, {});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(read_file(box.dir / "top/other.txt"), "other");
  EXPECT_EQ(read_file(box.dir / "top/sub/c.txt"), "c");
  EXPECT_EQ(read_file(box.dir / "fresh/d.txt"), "d");
  struct stat info {};
  ASSERT_EQ(::stat((box.dir / "top").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0700u);
  EXPECT_EQ(info.st_mtim.tv_sec, 1'500'000'000);
  ASSERT_EQ(::stat(box.dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0711u);
  ASSERT_EQ(::stat((box.dir / "fresh").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0750u);
  for (const auto& path : tree_of(box.dir)) {
    EXPECT_EQ(path.find(".gpunb-"), std::string::npos) << path;
  }
}

TEST(DataExtractStage, AFolderOverAFileIsRefusedBeforeAnythingMoves) {
  Sandbox box;
  fs::create_directories(box.dir / "folder");
  std::ofstream(box.dir / "file") << "mine";
  auto before = tree_of(box.dir);
  gpunb::testing::write_archive(box.base / "a.tar", Kind::tar,
                                {{.path = "a.txt", .data = "a"}, {.path = "file/x", .data = "x"}});
  auto done = extract_file(box.base / "a.tar", box.dir, {});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::refused);
  EXPECT_NE(done.error().message.find("\"file\" is a symlink or a file"), std::string::npos)
      << done.error().message;
  EXPECT_EQ(tree_of(box.dir), before);
  gpunb::testing::write_archive(box.base / "b.tar", Kind::tar,
                                {{.path = "a.txt", .data = "a"}, {.path = "folder", .data = "x"}});
  done = extract_file(box.base / "b.tar", box.dir, {});
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().message.find("\"folder\" is a folder"), std::string::npos)
      << done.error().message;
  EXPECT_EQ(tree_of(box.dir), before);
}

TEST(DataExtractStage, StagesOfDeadProcessesAreRemoved) {
  Sandbox box;
  fs::path dead = box.dir / (stage_prefix("a.tar") + "2147483646-1");
  fs::path alive = box.dir / (stage_prefix("a.tar") + std::to_string(::getppid()) + "-1");
  fs::create_directories(dead / "half");
  fs::create_directories(alive);
  gpunb::testing::write_archive(box.base / "a.tar", Kind::tar, {{.path = "a.txt", .data = "a"}});
  ASSERT_TRUE(extract_file(box.base / "a.tar", box.dir, {}));
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive));  // another running extraction's
}

}  // namespace
}  // namespace gpunb::data
