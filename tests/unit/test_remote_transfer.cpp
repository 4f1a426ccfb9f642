// remote::push/pull of the sync transfer: over pipes to the built agent, against a cut stream,
// and over a real SSH session (sshd on loopback); list/hash/delete wrappers through Agent.
#include <gtest/gtest.h>

#include <deque>

#include "base/hash.hpp"
#include "remote/transfer.hpp"
#include "ssh_fixture.hpp"
#include "test_agent_fs.hpp"

namespace gpunb::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> paths_of(const std::vector<TestFile>& files) {
  std::vector<std::string> paths;
  for (const auto& file : files) paths.push_back(file.path);
  return paths;
}

void write_tree(const FsTree& tree, const std::vector<TestFile>& files) {
  for (const auto& file : files) {
    tree.put(file.path, file.data);
    ::chmod((tree.root / file.path).c_str(), file.mode);
    timespec times[2] = {{0, UTIME_OMIT}, {file.mtime_ns / 1000000000, file.mtime_ns % 1000000000}};
    ::utimensat(AT_FDCWD, (tree.root / file.path).c_str(), times, 0);
  }
}

void expect_all_ok(const remote::TransferResult& result, const std::vector<TestFile>& files) {
  ASSERT_FALSE(result.error) << result.error->message;
  ASSERT_EQ(result.files.size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& got = result.files[i];
    EXPECT_TRUE(got.ok) << got.path << ": " << got.error;
    EXPECT_EQ(got.sha256, base::sha256_hex(files[i].data)) << got.path;
    EXPECT_EQ(got.mtime_ns, files[i].mtime_ns) << got.path;
    EXPECT_EQ(got.mode, files[i].mode) << got.path;
  }
}

TEST(RemoteTransfer, PushThenPullOverPipes) {
  FsTree local, remote_root, back;
  auto files = sample_files(400);
  write_tree(local, files);
  size_t reports = 0;
  AgentStream receive("receive", remote_root.root.string());
  auto pushed = remote::push_stream(receive, local.root, paths_of(files),
                                    [&](const remote::TransferProgress&) { ++reports; });
  expect_all_ok(pushed, files);
  EXPECT_EQ(receive.wait(), 0);
  EXPECT_EQ(reports, files.size());
  for (const auto& file : files) remote_root.expect_file(file);

  AgentStream send("send", remote_root.root.string());
  auto pulled = remote::pull_stream(send, back.root, paths_of(files));
  expect_all_ok(pulled, files);
  EXPECT_EQ(pulled.bytes, pushed.bytes);
  for (const auto& file : files) back.expect_file(file);
  EXPECT_EQ(back.temp_files(), 0u);
}

TEST(RemoteTransfer, ReportsFilesThatCouldNotGo) {
  FsTree local, remote_root, outside;
  write_tree(local, {{"ok.txt", "fine"}, {"link/x.txt", "no"}});
  fs::create_directories(remote_root.root / "ws");
  ::symlink(outside.root.c_str(), (remote_root.root / "ws" / "link").c_str());
  AgentStream receive("receive", (remote_root.root / "ws").string());
  auto pushed =
      remote::push_stream(receive, local.root, {"ok.txt", "link/x.txt", "absent", "../up"});
  ASSERT_FALSE(pushed.error);
  EXPECT_TRUE(pushed.files[0].ok);
  EXPECT_FALSE(pushed.files[1].ok);  // the remote folder is a symlink
  EXPECT_FALSE(pushed.files[2].ok);
  EXPECT_FALSE(pushed.files[3].ok);
  EXPECT_EQ(pushed.ok_count(), 1u);
  EXPECT_TRUE(fs::is_empty(outside.root));

  AgentStream send("send", (remote_root.root / "ws").string());
  auto pulled = remote::pull_stream(send, local.root, {"ok.txt", "absent"});
  EXPECT_TRUE(pulled.files[0].ok);
  EXPECT_FALSE(pulled.files[1].ok);
  EXPECT_FALSE(pulled.files[1].error.empty());
}

// Replays a canned stream, then ends (a connection cut).
class CannedChannel : public remote::ByteChannel {
 public:
  explicit CannedChannel(std::string data) : data_(std::move(data)) {}
  core::Status write(std::string_view) override { return {}; }
  core::Result<size_t> read(char* buffer, size_t max, std::chrono::milliseconds) override {
    if (data_.empty()) return core::fail(core::ErrorKind::network, "connection lost");
    size_t n = std::min({max, data_.size(), size_t{1000}});
    std::memcpy(buffer, data_.data(), n);
    data_.erase(0, n);
    return n;
  }
  core::Status send_eof() override { return {}; }

 private:
  std::string data_;
};

TEST(RemoteTransfer, PullCutMidFileKeepsTheWholeFilesOnly) {
  FsTree local;
  local.put("cut.bin", "old content");
  std::string cut = frame({"cut.bin", std::string(50000, 'n'), 0644, 9});
  CannedChannel channel(frame({"whole.txt", "whole", 0640, 9}) + cut.substr(0, 30000));
  auto pulled = remote::pull_stream(channel, local.root, {"whole.txt", "cut.bin"});
  ASSERT_TRUE(pulled.error);
  EXPECT_TRUE(pulled.files[0].ok);
  EXPECT_FALSE(pulled.files[1].ok);
  local.expect_file({"whole.txt", "whole", 0640, 9});
  EXPECT_EQ(read_all(local.root / "cut.bin"), "old content");
  EXPECT_EQ(local.temp_files(), 0u);
}

TEST(RemoteTransfer, PulledModesAreMaskedNoWorldWritableNoSetId) {
  FsTree local;  // what a compromised machine could send
  CannedChannel channel(frame({"all.sh", "x", 06777, 9}) + frame({"shared.txt", "y", 0666, 9}));
  auto pulled = remote::pull_stream(channel, local.root, {"all.sh", "shared.txt"});
  ASSERT_TRUE(pulled.files[0].ok && pulled.files[1].ok);  // the canned stream then just ends
  EXPECT_EQ(pulled.files[0].mode, 0755u);
  EXPECT_EQ(pulled.files[1].mode, 0644u);
  local.expect_file({"all.sh", "x", 0755, 9});
  local.expect_file({"shared.txt", "y", 0644, 9});
  struct stat info {};
  ASSERT_EQ(::stat((local.root / "all.sh").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07000, 0u);
}

TEST(RemoteTransfer, PullRefusesPathsItDidNotAskFor) {
  FsTree local;
  CannedChannel channel(frame({"../evil", "x"}));
  auto pulled = remote::pull_stream(channel, local.root, {"good"});
  ASSERT_TRUE(pulled.error);
  EXPECT_FALSE(pulled.files[0].ok);
  EXPECT_FALSE(fs::exists(local.root.parent_path() / "evil"));
}

// A machine that sends one line with no end: accepts what it is sent, then 'a' for ever (up to a
// cap, so that a reader with no bound fails here by the cap instead of exhausting memory).
class EndlessLineChannel : public remote::ByteChannel {
 public:
  core::Status write(std::string_view) override { return {}; }
  core::Result<size_t> read(char* buffer, size_t max, std::chrono::milliseconds) override {
    if (served >= kCap) return core::fail(core::ErrorKind::network, "connection lost");
    size_t n = std::min<size_t>(max, 65536);
    std::memset(buffer, 'a', n);
    served += n;
    return n;
  }
  core::Status send_eof() override { return {}; }
  static constexpr size_t kCap = size_t{16} << 20;
  size_t served = 0;
};

TEST(RemoteTransfer, PullRefusesALineWithNoEndInsteadOfBufferingIt) {
  FsTree local;
  EndlessLineChannel channel;
  auto pulled = remote::pull_stream(channel, local.root, {"a.ipynb"});
  ASSERT_TRUE(pulled.error);
  EXPECT_NE(pulled.error->message.find("with no end"), std::string::npos) << pulled.error->message;
  EXPECT_LT(channel.served, size_t{4} << 20);
  EXPECT_FALSE(pulled.files[0].ok);
}

TEST(RemoteTransfer, PushRefusesAReplyWithNoEndInsteadOfBufferingIt) {
  FsTree local;
  local.put("a.ipynb", "{}");
  EndlessLineChannel channel;
  auto pushed = remote::push_stream(channel, local.root, {"a.ipynb"});
  ASSERT_TRUE(pushed.error);
  EXPECT_NE(pushed.error->message.find("with no end"), std::string::npos) << pushed.error->message;
  EXPECT_LT(channel.served, size_t{4} << 20);
}

TEST(RemoteTransfer, ListHashDeleteThroughTheAgent) {
  AgentSandbox sandbox;
  auto agent = remote::Agent::attach(std::make_unique<AgentPipe>(sandbox.env()));
  ASSERT_TRUE(agent);
  fs::create_directories(sandbox.home() / "work/nb/d");
  std::ofstream(sandbox.home() / "work/nb/d/x.ipynb") << "abc";
  auto entries = remote::list_remote(*agent, "~/work/nb");
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].path, "d/x.ipynb");
  EXPECT_EQ((*entries)[0].size, 3u);
  auto hashes = remote::hash_remote(*agent, "~/work/nb", {"d/x.ipynb", "nope"});
  ASSERT_TRUE(hashes);
  EXPECT_EQ(hashes->size(), 1u);
  EXPECT_EQ(hashes->at("d/x.ipynb"), base::sha256_hex("abc"));
  auto gone = remote::delete_remote(*agent, "~/work/nb", {"d/x.ipynb", "nope"});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->size(), 2u);
  EXPECT_TRUE(remote::list_remote(*agent, "~/work/nb")->empty());
}

class RemoteTransferSsh : public SshFixture {};

TEST_F(RemoteTransferSsh, PushAndPullOverOneSession) {
  FsTree local, remote_root, back;
  auto files = sample_files(200);
  write_tree(local, files);
  auto session = ssh::Session::connect(options());
  ASSERT_TRUE(session) << session.error().message;
  std::string target = (remote_root.root / "work dir's").string();  // quoting
  auto pushed = remote::push_files(*session, GPUNB_AGENT_EXE, local.root, target, paths_of(files));
  ASSERT_TRUE(pushed) << pushed.error().message;
  expect_all_ok(*pushed, files);
  auto pulled = remote::pull_files(*session, GPUNB_AGENT_EXE, back.root, target, paths_of(files));
  ASSERT_TRUE(pulled) << pulled.error().message;
  expect_all_ok(*pulled, files);
  for (const auto& file : files) back.expect_file(file);
}

}  // namespace
}  // namespace gpunb::testing
