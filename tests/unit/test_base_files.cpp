#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "base/files.hpp"
#include "base/hash.hpp"
#include "util/fs.hpp"

namespace gpunb::base {

namespace {
std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("gpunb-fs-" + random_hex(6));
  std::filesystem::create_directories(dir);
  return dir;
}
}  // namespace

TEST(Fs, AtomicWriteReplacesWithMode) {
  auto dir = temp_dir();
  ASSERT_TRUE(write_atomic(dir / "f", "one", 0600));
  ASSERT_TRUE(write_atomic(dir / "f", "two", 0600));
  EXPECT_EQ(read_file(dir / "f").value(), "two");
  EXPECT_FALSE(util::readable_by_others(dir / "f"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "no temp file left";
  std::filesystem::remove_all(dir);
}

TEST(Fs, AtomicWriteReplacesAPlantedLinkInsteadOfWritingThroughIt) {
  auto dir = temp_dir();
  ASSERT_TRUE(write_atomic(dir / "target", "theirs", 0600));
  std::filesystem::create_symlink(dir / "target", dir / "f");
  ASSERT_TRUE(write_atomic(dir / "f", "ours", 0600));
  EXPECT_FALSE(std::filesystem::is_symlink(dir / "f"));
  EXPECT_EQ(read_file(dir / "f").value(), "ours");
  EXPECT_EQ(read_file(dir / "target").value(), "theirs");
  std::filesystem::remove_all(dir);
}

TEST(Fs, AtomicWriteIntoAMissingFolderFailsWithTheReason) {
  auto dir = temp_dir();
  auto done = write_atomic(dir / "no" / "f", "x", 0600);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::internal);
  EXPECT_NE(done.error().message.find("No such file"), std::string::npos) << done.error().message;
  std::filesystem::remove_all(dir);
}

TEST(Fs, MakeDirsSetsTheModeOfTheLastFolder) {
  auto dir = temp_dir();
  ASSERT_TRUE(make_dirs(dir / "a" / "b", 0700));
  EXPECT_EQ(std::filesystem::status(dir / "a" / "b").permissions(),
            std::filesystem::perms::owner_all);
  std::filesystem::remove_all(dir);
}

TEST(Fs, ExclusiveWriteNeverReplaces) {
  auto dir = temp_dir();
  EXPECT_EQ(write_exclusive(dir / "f", "first", 0600), true);
  EXPECT_EQ(write_exclusive(dir / "f", "second", 0600), false);
  EXPECT_EQ(read_file(dir / "f").value(), "first");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "no temp file left";
  std::filesystem::remove_all(dir);
}

TEST(Fs, ExclusiveWriteHasOneWinnerUnderRaces) {
  auto dir = temp_dir();
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      winners += write_exclusive(dir / "f", std::to_string(i), 0600).value_or(false) ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
  std::filesystem::remove_all(dir);
}

TEST(Fs, ReadableByOthersSeesGroupAndWorldBits) {
  auto dir = temp_dir();
  ASSERT_TRUE(write_atomic(dir / "k", "x", 0644));
  EXPECT_TRUE(util::readable_by_others(dir / "k"));
  ::chmod((dir / "k").c_str(), 0640);
  EXPECT_TRUE(util::readable_by_others(dir / "k"));
  ::chmod((dir / "k").c_str(), 0600);
  EXPECT_FALSE(util::readable_by_others(dir / "k"));
  EXPECT_TRUE(util::readable_by_others(dir / "missing"));
  std::filesystem::remove_all(dir);
}

}  // namespace gpunb::base
