// push_files against `rsync -a` over the same loopback sshd (the SshFixture's), on a generated
// workspace: first sync into an empty folder, then a re-sync after one file changed. Disabled by
// default (slow, ~500 MB); run with
//   unit_tests --gtest_also_run_disabled_tests --gtest_filter='*TransferBench*'
// GPUNB_BENCH_FILES (10000) and GPUNB_BENCH_MB (500) size the workspace; medians of 3 runs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "remote/transfer.hpp"
#include "ssh_fixture.hpp"

namespace gpunb::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

size_t env_size(const char* name, size_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

// Mostly small files (notebooks, scripts), 1% of them large: COUNT files, about MB megabytes.
std::vector<std::string> make_workspace(const fs::path& root, size_t count, size_t mb) {
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&] { return state ^= state << 13, state ^= state >> 7, state ^= state << 17; };
  size_t large = std::max<size_t>(1, count / 100);
  size_t small_bytes = (mb << 20) / 5, large_each = ((mb << 20) - small_bytes) / large;
  std::vector<std::string> paths;
  std::string data;
  for (size_t i = 0; i < count; ++i) {
    bool big = i % 100 == 99;
    size_t size = big ? large_each : next() % (2 * small_bytes / (count - large));
    std::string path = "p" + std::to_string(i % 20) + "/s" + std::to_string(i % 7) + "/f" +
                       std::to_string(i) + (big ? ".bin" : ".ipynb");
    data.resize(size / 8 * 8);
    for (size_t at = 0; at < data.size(); at += 8) {
      std::uint64_t word = next();
      std::memcpy(data.data() + at, &word, 8);
    }
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path, std::ios::binary) << data;
    paths.push_back(path);
  }
  std::sort(paths.begin(), paths.end());  // as a sync plan lists them
  return paths;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

class TransferBench : public SshFixture {
 protected:
  std::string rsync(const fs::path& from, const fs::path& to) const {
    return "rsync -a -e 'ssh -p " + std::to_string(sshd_->port()) + " -i " +
           key_.private_path.string() +
           " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR' " +
           from.string() + "/ root@127.0.0.1:" + to.string() + "/";
  }
  // connect, one stat walk of the workspace (what a quick check needs), fs.list-free push of PATHS
  double push(const fs::path& from, const fs::path& to, const std::vector<std::string>& paths) {
    auto start = Clock::now();
    auto session = ssh::Session::connect(options());
    EXPECT_TRUE(session);
    size_t seen = 0;
    for (const auto& entry : fs::recursive_directory_iterator(from))
      seen += entry.is_regular_file() ? 1 : 0;
    const char* agent = std::getenv("GPUNB_BENCH_AGENT");  // e.g. "VAR=1 /path/agent"
    auto result =
        remote::push_files(*session, agent ? agent : GPUNB_AGENT_EXE, from, to.string(), paths);
    EXPECT_TRUE(result && !result->error && result->ok_count() == paths.size());
    return seconds_since(start);
  }
  double run_rsync(const fs::path& from, const fs::path& to) {
    auto start = Clock::now();
    EXPECT_EQ(std::system(rsync(from, to).c_str()), 0);
    return seconds_since(start);
  }
};

TEST_F(TransferBench, DISABLED_PushVsRsync) {
  size_t count = env_size("GPUNB_BENCH_FILES", 10000), mb = env_size("GPUNB_BENCH_MB", 500);
  fs::path work = dir_ / "work";
  auto paths = make_workspace(work / "src", count, mb);
  std::vector<double> ours_first, rsync_first, ours_again, rsync_again;
  // Targets stay until the end (ext4 is slow to make inodes right after mass deletions), and the
  // order alternates, so neither side always follows the other's writeback.
  for (int run = 0; run < 3; ++run) {
    fs::path ours = work / ("ours" + std::to_string(run)),
             theirs = work / ("rsync" + std::to_string(run));
    for (int side = 0; side < 2; ++side) {
      std::system("sync");
      if ((side + run) % 2 == 0)
        ours_first.push_back(push(work / "src", ours, paths));
      else
        rsync_first.push_back(run_rsync(work / "src", theirs));
    }
    std::ofstream(work / "src" / paths[1], std::ios::app) << "changed " << run;
    ours_again.push_back(push(work / "src", ours, {paths[1]}));
    rsync_again.push_back(run_rsync(work / "src", theirs));
    std::printf("run %d: first ours %.3f s rsync %.3f s; again ours %.3f s rsync %.3f s\n", run,
                ours_first.back(), rsync_first.back(), ours_again.back(), rsync_again.back());
  }
  std::printf(
      "%zu files, %zu MB: first sync ours/rsync = %.3f (%.3f / %.3f s), re-sync = %.3f (%.3f / "
      "%.3f s)\n",
      count, mb, median(ours_first) / median(rsync_first), median(ours_first), median(rsync_first),
      median(ours_again) / median(rsync_again), median(ours_again), median(rsync_again));
}

}  // namespace
}  // namespace gpunb::testing

namespace gpunb::testing {
namespace {

// The channel alone: 256 MiB into `cat >/dev/null`, libssh against OpenSSH's ssh.
TEST_F(TransferBench, DISABLED_RawChannel) {
  std::string block(1 << 20, 'x');
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 7919 >> 5);
  auto session = ssh::Session::connect(options());
  ASSERT_TRUE(session);
  auto start = Clock::now();
  auto channel = session->exec("cat >/dev/null; echo done");
  ASSERT_TRUE(channel);
  for (int i = 0; i < 256; ++i) ASSERT_TRUE(channel->write(block));
  ASSERT_TRUE(channel->send_eof());
  ASSERT_TRUE(channel->read_line(std::chrono::seconds(30)));
  double ours = seconds_since(start);
  std::ofstream(dir_ / "blob", std::ios::binary) << [&] {
    std::string all;
    for (int i = 0; i < 256; ++i) all += block;
    return all;
  }();
  start = Clock::now();
  std::string ssh = "ssh -p " + std::to_string(sshd_->port()) + " -i " +
                    key_.private_path.string() +
                    " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o "
                    "LogLevel=ERROR root@127.0.0.1 'cat >/dev/null' < " +
                    (dir_ / "blob").string();
  ASSERT_EQ(std::system(ssh.c_str()), 0);
  std::printf("256 MiB: libssh %.3f s, OpenSSH %.3f s\n", ours, seconds_since(start));
}

}  // namespace
}  // namespace gpunb::testing

namespace gpunb::testing {
namespace {

// One first-sync push, for profiling: GPUNB_BENCH_DIR keeps the workspace between runs.
TEST_F(TransferBench, DISABLED_PushOnce) {
  size_t count = env_size("GPUNB_BENCH_FILES", 10000), mb = env_size("GPUNB_BENCH_MB", 500);
  const char* keep = std::getenv("GPUNB_BENCH_DIR");
  fs::path src = keep ? fs::path(keep) : dir_ / "src";
  std::vector<std::string> paths;
  if (fs::exists(src / "paths")) {
    std::ifstream in(src / "paths");
    for (std::string line; std::getline(in, line);) paths.push_back(line);
  } else {
    paths = make_workspace(src / "tree", count, mb);
    std::ofstream out(src / "paths");
    for (const auto& path : paths) out << path << "\n";
  }
  fs::remove_all(dir_ / "dst");
  double took = push(src / "tree", dir_ / "dst", paths);
  std::printf("push %zu files: %.3f s\n", paths.size(), took);
}

}  // namespace
}  // namespace gpunb::testing
