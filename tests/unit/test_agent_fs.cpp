// Sync ops of the agent, in-process: path checks, fs.list's walk, and the
// receive/send streams over temp files (the built agent over pipes: test_agent_fs_pipes.cpp).
#include "test_agent_fs.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "agent/fs/list.hpp"
#include "agent/fs/path.hpp"

namespace gpunb::agent {
namespace {

using gpunb::testing::FsTree;

TEST(AgentFsPath, RefusesUnsafePaths) {
  for (const char* bad : {"", "/etc/passwd", "..", "../x", "a/../../x", "a//b", "./a", "a/", "a/.",
                          "d/.x.gpunb-tmp-1-ab"}) {
    EXPECT_FALSE(check_relative_path(bad)) << bad;
  }
  auto ok = check_relative_path("a/b/c.ipynb");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->dir, "a/b");
  EXPECT_EQ(ok->name, "c.ipynb");
  EXPECT_EQ(check_relative_path("..a/b..")->name, "b..");
  EXPECT_TRUE(is_stale_temp(".x.gpunb-tmp-999999999-ab"));
  EXPECT_FALSE(is_stale_temp(temp_name("x")));  // ours: alive
}

TEST(AgentFsList, SkipsDefaultFoldersReportsSymlinksSorted) {
  FsTree tree;
  tree.put("b.ipynb", "1");
  tree.put("a/z.py", "22");
  tree.put("a/.git/HEAD", "x");
  tree.put("__pycache__/m.pyc", "x");
  tree.put("a/.ipynb_checkpoints/b-checkpoint.ipynb", "x");
  tree.put("a/.x.gpunb-tmp-999999999-ab", "stale");
  tree.put("a/.y.gpunb-tmp-" + std::to_string(::getpid()) + "-ab", "live");
  ::symlink("/etc", (tree.root / "link").c_str());
  ::chmod((tree.root / "b.ipynb").c_str(), 0600);
  auto listing = list_tree(tree.root.string());
  ASSERT_TRUE(listing) << listing.error().message;
  std::vector<std::string> paths;
  for (const auto& file : listing->files) paths.push_back(file.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"a/z.py", "b.ipynb", "link"}));
  EXPECT_EQ(listing->files[0].size, 2u);
  EXPECT_EQ(listing->files[1].mode, 0600u);
  EXPECT_TRUE(listing->files[2].symlink);
  EXPECT_EQ(listing->stale_temps_removed, 1u);
  EXPECT_FALSE(std::filesystem::exists(tree.root / "a/.x.gpunb-tmp-999999999-ab"));
  auto missing = list_tree((tree.root / "nope").string());
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->files.empty());
}

TEST(AgentFsStream, ReceiveThenSendRoundTrip) {
  FsTree tree;
  auto files = gpunb::testing::sample_files(300);
  std::string stream;
  for (const auto& file : files) stream += gpunb::testing::frame(file);
  stream += "{\"end\":true}\n";
  auto replies = gpunb::testing::run_stream("receive", tree.root.string(), stream);
  ASSERT_EQ(replies.code, 0) << replies.out.substr(0, 500);
  auto lines = gpunb::testing::json_lines(replies.out);
  ASSERT_EQ(lines.size(), files.size() + 1);
  EXPECT_EQ(lines.back()["files"], files.size());
  for (const auto& file : files) tree.expect_file(file);
  EXPECT_EQ(tree.temp_files(), 0u);

  nlohmann::json request{{"paths", nlohmann::json::array()}};
  for (const auto& file : files) request["paths"].push_back(file.path);
  auto sent = gpunb::testing::run_stream("send", tree.root.string(), request.dump() + "\n");
  ASSERT_EQ(sent.code, 0);
  std::string expected;
  for (const auto& file : files) expected += gpunb::testing::frame(file);
  EXPECT_TRUE(sent.out == expected + "{\"bytes\":" +
                              std::to_string(lines.back()["bytes"].get<std::uint64_t>()) +
                              ",\"end\":true,\"files\":" + std::to_string(files.size()) + "}\n");
}

// Small batches, so that many commit on the committing thread while the next ones arrive: every
// file answered once, refusals among them, all in place, no temp file left.
TEST(AgentFsStream, ManySmallBatchesCommitWhileTheNextArrive) {
  FsTree tree;
  auto files = gpunb::testing::sample_files(500);
  std::string stream;
  for (size_t i = 0; i < files.size(); ++i) {
    stream += gpunb::testing::frame(files[i]);
    if (i % 97 == 0) stream += gpunb::testing::frame({"../bad" + std::to_string(i), "x"});
  }
  stream += "{\"end\":true}\n";
  agent::ReceiveLimits limits;
  limits.batch_files = 7;
  limits.batch_bytes = 20000;
  limits.open_dirs = 3;
  limits.idle_batch_files = 2;
  limits.idle_batch_bytes = 5000;
  auto replies = gpunb::testing::run_stream("receive", tree.root.string(), stream, limits);
  ASSERT_EQ(replies.code, 0) << replies.out.substr(0, 500);
  auto lines = gpunb::testing::json_lines(replies.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["files"], files.size());
  lines.pop_back();
  std::map<std::string, int> answers;
  size_t refused = 0;
  for (const auto& line : lines) {
    ++answers[line["path"].get<std::string>()];
    if (line.contains("error")) ++refused;
  }
  EXPECT_EQ(refused, 6u);
  EXPECT_EQ(answers.size(), files.size() + refused);
  for (const auto& [path, count] : answers) EXPECT_EQ(count, 1) << path;
  for (const auto& file : files) tree.expect_file(file);
  EXPECT_EQ(tree.temp_files(), 0u);
}

TEST(AgentFsStream, RefusesTraversalAbsoluteAndSymlinkedFolders) {
  FsTree tree, outside;
  std::filesystem::create_directories(tree.root / "ws");
  ::symlink(outside.root.c_str(), (tree.root / "ws/link").c_str());
  std::string stream;
  for (const char* path : {"../escape", "/tmp/abs", "link/inside", "a/../../x", "ok.txt"}) {
    stream += gpunb::testing::frame({path, "data", 0644, 1});
  }
  auto replies = gpunb::testing::run_stream("receive", (tree.root / "ws").string(),
                                            stream + "{\"end\":true}\n");
  ASSERT_EQ(replies.code, 0) << replies.out;
  auto lines = gpunb::testing::json_lines(replies.out);
  ASSERT_EQ(lines.size(), 6u);
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(lines[i].contains("error")) << lines[i];
  EXPECT_EQ(lines[4]["path"], "ok.txt");
  EXPECT_EQ(lines[5]["files"], 1);
  EXPECT_TRUE(std::filesystem::is_empty(outside.root));
  EXPECT_FALSE(std::filesystem::exists(tree.root / "escape"));
}

TEST(AgentFsStream, CutMidFileLeavesNoPartialFileAndCommitsTheWholeOnes) {
  FsTree tree;
  std::string stream = gpunb::testing::frame({"whole.txt", "complete", 0644, 5});
  std::string big = gpunb::testing::frame({"dir/cut.bin", std::string(100000, 'x'), 0644, 5});
  stream += big.substr(0, big.size() / 2);
  auto replies = gpunb::testing::run_stream("receive", tree.root.string(), stream);
  EXPECT_EQ(replies.code, 1);
  auto lines = gpunb::testing::json_lines(replies.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["path"], "whole.txt");
  EXPECT_TRUE(lines[1].contains("error"));
  EXPECT_EQ(gpunb::testing::read_all(tree.root / "whole.txt"), "complete");
  EXPECT_FALSE(std::filesystem::exists(tree.root / "dir/cut.bin"));
  EXPECT_EQ(tree.temp_files(), 0u);
}

// The same with a commit in flight when the input breaks: it finishes, then the batch of whole
// files after it; their replies come before the error line.
TEST(AgentFsStream, CutWhileABatchCommitsCommitsEveryWholeFile) {
  FsTree tree;
  std::string stream;
  for (int i = 0; i < 9; ++i) {
    stream += gpunb::testing::frame(
        {"d" + std::to_string(i % 3) + "/f" + std::to_string(i), std::string(1000, 'a'), 0644, 5});
  }
  std::string big = gpunb::testing::frame({"dir/cut.bin", std::string(100000, 'x'), 0644, 5});
  stream += big.substr(0, big.size() / 2);
  agent::ReceiveLimits limits;
  limits.batch_files = 2;
  auto replies = gpunb::testing::run_stream("receive", tree.root.string(), stream, limits);
  EXPECT_EQ(replies.code, 1);
  auto lines = gpunb::testing::json_lines(replies.out);
  ASSERT_EQ(lines.size(), 10u);
  for (size_t i = 0; i < 9; ++i) EXPECT_TRUE(lines[i].contains("sha256")) << lines[i];
  EXPECT_TRUE(lines[9].contains("error") && !lines[9].contains("path")) << lines[9];
  for (int i = 0; i < 9; ++i) {
    EXPECT_TRUE(std::filesystem::exists(tree.root / ("d" + std::to_string(i % 3)) /
                                        ("f" + std::to_string(i))));
  }
  EXPECT_FALSE(std::filesystem::exists(tree.root / "dir/cut.bin"));
  EXPECT_EQ(tree.temp_files(), 0u);
}

TEST(AgentFsStream, SenderErrorAndBadChecksumDropTheFile) {
  FsTree tree;
  std::string stream =
      "{\"path\":\"a\",\"size\":3,\"mode\":420,\"mtime_ns\":1}\nabc{\"error\":\"changed\"}\n";
  stream += "{\"path\":\"b\",\"size\":3,\"mode\":420,\"mtime_ns\":1}\nabc{\"sha256\":\"00\"}\n";
  auto replies =
      gpunb::testing::run_stream("receive", tree.root.string(), stream + "{\"end\":true}\n");
  auto lines = gpunb::testing::json_lines(replies.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].contains("error"));
  EXPECT_TRUE(lines[1].contains("error"));
  EXPECT_EQ(lines[2]["files"], 0);
  EXPECT_FALSE(std::filesystem::exists(tree.root / "a"));
  EXPECT_EQ(tree.temp_files(), 0u);
}

}  // namespace
}  // namespace gpunb::agent
