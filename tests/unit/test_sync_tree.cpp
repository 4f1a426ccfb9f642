#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sync/tree.hpp"

namespace gpunb::sync {

namespace {

namespace fs = std::filesystem;

class SyncTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("gpunb-sync-tree-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& relative, const std::string& content) const {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::binary) << content;
  }

  std::vector<std::string> paths(const Ignore& ignore = Ignore()) const {
    auto entries = scan_local(root_, ignore);
    EXPECT_TRUE(entries) << (entries ? "" : entries.error().message);
    std::vector<std::string> out;
    for (const auto& entry : *entries) out.push_back(entry.path);
    return out;
  }

  fs::path root_;
};

using Paths = std::vector<std::string>;

TEST_F(SyncTreeTest, ListsFilesSortedWithSizeModeAndMtime) {
  write("b.ipynb", "12345");
  write("a/z.py", "x");
  write("a/b/c.txt", "");
  ::chmod((root_ / "a/z.py").c_str(), 0755);
  auto entries = scan_local(root_, Ignore());
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].path, "a/b/c.txt");
  EXPECT_EQ((*entries)[1].path, "a/z.py");
  EXPECT_EQ((*entries)[1].mode, 0755u);
  EXPECT_EQ((*entries)[2].path, "b.ipynb");
  EXPECT_EQ((*entries)[2].size, 5u);
  struct stat info {};
  ASSERT_EQ(::stat((root_ / "b.ipynb").c_str(), &info), 0);
  EXPECT_EQ((*entries)[2].mtime_ns, info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec);
  EXPECT_FALSE((*entries)[2].sha256);
  EXPECT_FALSE((*entries)[2].is_symlink);
}

TEST_F(SyncTreeTest, SkipsDefaultsAndIgnoredFiles) {
  write("nb.ipynb", "{}");
  write(".ipynb_checkpoints/nb-checkpoint.ipynb", "{}");
  write("pkg/__pycache__/m.cpython-311.pyc", "x");
  write(".git/HEAD", "ref");
  write("out.log", "x");
  write(".gpunbignore", "*.log\n");
  EXPECT_EQ(paths(Ignore::parse("*.log\n")), (Paths{".gpunbignore", "nb.ipynb"}));
}

TEST_F(SyncTreeTest, DoesNotEnterIgnoredFolders) {
  // Re-including a file under an ignored folder shows whether the walk went in: git never does.
  write("logs/keep.txt", "x");
  write("logs/deep/more.txt", "x");
  write("main.py", "x");
  EXPECT_EQ(paths(Ignore::parse("logs/\n!logs/keep.txt\n")), (Paths{"main.py"}));
}

TEST_F(SyncTreeTest, ReportsSymlinksWithoutFollowing) {
  write("real/data.csv", "1,2");
  fs::create_symlink(root_ / "real", root_ / "linked_dir");
  fs::create_symlink("real/data.csv", root_ / "link.csv");
  auto entries = scan_local(root_, Ignore());
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].path, "link.csv");
  EXPECT_TRUE((*entries)[0].is_symlink);
  EXPECT_EQ((*entries)[1].path, "linked_dir");
  EXPECT_TRUE((*entries)[1].is_symlink);
  EXPECT_EQ((*entries)[2].path, "real/data.csv");
}

TEST_F(SyncTreeTest, LeavesOutFifos) {
  write("a.txt", "x");
  ASSERT_EQ(::mkfifo((root_ / "pipe").c_str(), 0600), 0);
  EXPECT_EQ(paths(), (Paths{"a.txt"}));
}

TEST_F(SyncTreeTest, MissingRootIsAnError) {
  auto entries = scan_local(root_ / "nope", Ignore());
  ASSERT_FALSE(entries);
  EXPECT_EQ(entries.error().kind, core::ErrorKind::usage);
}

TEST_F(SyncTreeTest, UnreadableFolderFailsTheScan) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every folder";
  write("locked/a.txt", "x");
  ::chmod((root_ / "locked").c_str(), 0);
  auto entries = scan_local(root_, Ignore());
  ::chmod((root_ / "locked").c_str(), 0700);
  EXPECT_FALSE(entries);
}

TEST_F(SyncTreeTest, HashesFilesStreaming) {
  write("empty", "");
  write("abc", "abc");
  std::string big(3 * 65536 + 17, 'x');
  write("big", big);
  EXPECT_EQ(*hash_file(root_ / "empty"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(*hash_file(root_ / "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto streamed = hash_file(root_ / "big");
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->size(), 64u);
  EXPECT_FALSE(hash_file(root_ / "missing"));
}

TEST_F(SyncTreeTest, HashesOnlyTheRequestedEntries) {
  write("a", "abc");
  write("b", "abc");
  auto entries = scan_local(root_, Ignore());
  ASSERT_TRUE(entries);
  ASSERT_TRUE(hash_entries(root_, *entries, {"b"}));
  EXPECT_FALSE((*entries)[0].sha256);
  EXPECT_EQ((*entries)[1].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SyncTree, DropIgnoredFiltersARemoteListing) {
  std::vector<Entry> entries{{"a.ipynb"}, {"__pycache__/x.pyc"}, {"data/big.bin"}, {"b.bin"}};
  drop_ignored(entries, Ignore::parse("data/\n"));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].path, "a.ipynb");
  EXPECT_EQ(entries[1].path, "b.bin");
}

}  // namespace

}  // namespace gpunb::sync
