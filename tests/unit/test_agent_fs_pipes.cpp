// The sync ops of the built gpunb-agent over pipes: fs.list / fs.hash / fs.delete through `serve`,
// and a `receive` killed mid-file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "base/hash.hpp"
#include "test_agent_fs.hpp"
#include "test_agent_process.hpp"

namespace gpunb::testing {
namespace {

using nlohmann::json;

// The static agent must never read the machine's openssl.cnf: one that loads a provider module
// (FIPS, legacy) would dlopen it, with the system's libcrypto, into the static binary. The config
// here is a FIFO nobody writes to, so an agent that opens it hangs instead of answering.
TEST(AgentFsOps, HashingNeverReadsTheMachinesOpensslConfig) {
  AgentSandbox sandbox;
  auto config = sandbox.home() / "openssl.cnf";
  ASSERT_EQ(::mkfifo(config.c_str(), 0600), 0);
  auto env = sandbox.env();
  env["OPENSSL_CONF"] = config.string();
  AgentPipe agent(env);
  ASSERT_TRUE(agent.read_line(std::chrono::seconds(10)));  // hello
  std::filesystem::create_directories(sandbox.home() / "work");
  std::ofstream(sandbox.home() / "work" / "a.txt") << "abc";
  auto hash =
      agent.request({{"id", 1}, {"op", "fs.hash"}, {"root", "~/work"}, {"paths", {"a.txt"}}},
                    std::chrono::seconds(10));
  ASSERT_TRUE(hash.is_object()) << "no answer: the agent is reading OPENSSL_CONF";
  EXPECT_EQ(hash["hashes"]["a.txt"], base::sha256_hex("abc"));
}

TEST(AgentFsOps, ListHashDeleteThroughServe) {
  AgentSandbox sandbox;
  AgentPipe agent(sandbox.env());
  ASSERT_TRUE(agent.read_line(std::chrono::seconds(10)));  // hello
  auto root = sandbox.home() / "work" / "nb";
  std::filesystem::create_directories(root / "sub" / "deeper");
  std::ofstream(root / "a.ipynb") << "abc";
  std::ofstream(root / "sub" / "deeper" / "b.py") << "";
  std::filesystem::create_directories(root / ".ipynb_checkpoints");
  std::ofstream(root / ".ipynb_checkpoints" / "a-checkpoint.ipynb") << "x";

  auto list = agent.request({{"id", 1}, {"op", "fs.list"}, {"root", "~/work/nb"}});
  ASSERT_TRUE(list["ok"].get<bool>()) << list;
  ASSERT_EQ(list["entries"].size(), 2u);
  EXPECT_EQ(list["entries"][0]["path"], "a.ipynb");
  EXPECT_EQ(list["entries"][0]["size"], 3);
  EXPECT_EQ(list["entries"][1]["path"], "sub/deeper/b.py");
  EXPECT_EQ(list["entries"][1]["symlink"], false);
  auto none = agent.request({{"id", 2}, {"op", "fs.list"}, {"root", "~/work/none"}});
  EXPECT_EQ(none["entries"], json::array());

  auto hash = agent.request({{"id", 3},
                             {"op", "fs.hash"},
                             {"root", "~/work/nb"},
                             {"paths", {"a.ipynb", "sub/deeper/b.py", "gone", "../x"}}});
  EXPECT_EQ(hash["hashes"]["a.ipynb"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash["hashes"]["sub/deeper/b.py"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(hash["errors"].contains("gone"));
  EXPECT_TRUE(hash["errors"].contains("../x"));

  auto del = agent.request({{"id", 4},
                            {"op", "fs.delete"},
                            {"root", "~/work/nb"},
                            {"paths", {"sub/deeper/b.py", "gone", "/etc/passwd"}}});
  EXPECT_EQ(del["deleted"], json::array({"sub/deeper/b.py"}));
  EXPECT_EQ(del["missing"], json::array({"gone"}));
  EXPECT_TRUE(del["errors"].contains("/etc/passwd"));
  EXPECT_FALSE(std::filesystem::exists(root / "sub"));  // emptied folders go too
  EXPECT_TRUE(std::filesystem::exists(root / "a.ipynb"));
}

TEST(AgentFsOps, ReceiveKilledMidFileLeavesOnlyTempsThatTheNextRunRemoves) {
  FsTree tree;
  std::string big = frame({"dir/big.bin", std::string(8 << 20, 'z'), 0644, 7});
  {
    AgentStream agent("receive", tree.root.string());
    ASSERT_TRUE(agent.write(frame({"whole.txt", "whole", 0644, 7})));
    ASSERT_TRUE(agent.write(std::string_view(big).substr(0, big.size() / 2)));
    for (int i = 0; i < 500 && tree.temp_files() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    agent.kill_now();
    agent.wait();
  }
  EXPECT_EQ(tree.temp_files(), 2u);  // both still temps: the batch was never committed
  EXPECT_FALSE(std::filesystem::exists(tree.root / "whole.txt"));
  EXPECT_FALSE(std::filesystem::exists(tree.root / "dir/big.bin"));

  AgentStream again("receive", tree.root.string());
  ASSERT_TRUE(again.write(big + "{\"end\":true}\n"));
  ASSERT_TRUE(again.send_eof());
  EXPECT_EQ(again.wait(), 0);
  EXPECT_EQ(tree.temp_files(), 0u);
  EXPECT_EQ(std::filesystem::file_size(tree.root / "dir/big.bin"), 8u << 20);
}

TEST(AgentFsOps, SendStreamsTheRequestedFiles) {
  FsTree tree;
  tree.put("n/a.ipynb", "{}\n");
  AgentStream agent("send", tree.root.string());
  ASSERT_TRUE(agent.write("{\"paths\":[\"n/a.ipynb\",\"missing\"]}\n"));
  ASSERT_TRUE(agent.send_eof());
  EXPECT_EQ(agent.wait(), 0);
  std::string out;
  char buffer[4096];
  for (auto n = agent.read(buffer, sizeof buffer, std::chrono::seconds(1)); n && *n > 0;
       n = agent.read(buffer, sizeof buffer, std::chrono::seconds(1))) {
    out.append(buffer, *n);
  }
  auto lines = json_lines(out);
  ASSERT_EQ(lines.size(), 5u) << out;  // header, "{}" (the file), trailer, missing, end
  EXPECT_EQ(lines[0]["size"], 3);
  EXPECT_EQ(lines[2]["sha256"], base::sha256_hex("{}\n"));
  EXPECT_EQ(lines[3]["path"], "missing");
  EXPECT_TRUE(lines[3].contains("error"));
  EXPECT_EQ(lines[4]["files"], 1);
}

}  // namespace
}  // namespace gpunb::testing
