#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "util/crypto.hpp"
#include "util/fs.hpp"

namespace gpunb::util {

namespace {
std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("gpunb-fs-" + random_hex(6));
  std::filesystem::create_directories(dir);
  return dir;
}
}  // namespace

TEST(Fs, AtomicWriteReplacesWithMode) {
  auto dir = temp_dir();
  write_file_atomic(dir / "f", "one", 0600);
  write_file_atomic(dir / "f", "two", 0600);
  EXPECT_EQ(read_file(dir / "f").value(), "two");
  EXPECT_FALSE(readable_by_others(dir / "f"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "no temp file left";
  std::filesystem::remove_all(dir);
}

TEST(Fs, ExclusiveWriteNeverReplaces) {
  auto dir = temp_dir();
  EXPECT_TRUE(write_file_exclusive(dir / "f", "first", 0600));
  EXPECT_FALSE(write_file_exclusive(dir / "f", "second", 0600));
  EXPECT_EQ(read_file(dir / "f").value(), "first");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "no temp file left";
  std::filesystem::remove_all(dir);
}

TEST(Fs, ExclusiveWriteHasOneWinnerUnderRaces) {
  auto dir = temp_dir();
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back(
        [&, i] { winners += write_file_exclusive(dir / "f", std::to_string(i), 0600) ? 1 : 0; });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
  std::filesystem::remove_all(dir);
}

TEST(Fs, ReadableByOthersSeesGroupAndWorldBits) {
  auto dir = temp_dir();
  write_file_atomic(dir / "k", "x", 0644);
  EXPECT_TRUE(readable_by_others(dir / "k"));
  ::chmod((dir / "k").c_str(), 0640);
  EXPECT_TRUE(readable_by_others(dir / "k"));
  ::chmod((dir / "k").c_str(), 0600);
  EXPECT_FALSE(readable_by_others(dir / "k"));
  EXPECT_TRUE(readable_by_others(dir / "missing"));
  std::filesystem::remove_all(dir);
}

}  // namespace gpunb::util
