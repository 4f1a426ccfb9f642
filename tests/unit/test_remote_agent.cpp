// remote::Agent's line protocol: against scripted fakes, and against the real gpunb-agent on pipes.
#include <gtest/gtest.h>

#include <deque>

#include "remote/agent.hpp"
#include "remote/jupyter.hpp"
#include "test_agent_process.hpp"

namespace gpunb::remote {
namespace {

using nlohmann::json;

// Replays canned lines; records what was written.
class ScriptedChannel : public LineChannel {
 public:
  explicit ScriptedChannel(std::deque<std::string> lines,
                           std::vector<std::string>* written = nullptr)
      : lines_(std::move(lines)), written_(written) {}
  core::Status write_line(std::string_view line) override {
    if (written_ != nullptr) written_->emplace_back(line);
    return {};
  }
  core::Result<std::string> read_line(std::chrono::milliseconds) override {
    if (lines_.empty()) return core::fail(core::ErrorKind::network, "timed out");
    std::string line = lines_.front();
    lines_.pop_front();
    return line;
  }

 private:
  std::deque<std::string> lines_;
  std::vector<std::string>* written_;
};

const char* kHello = R"({"agent":"gpunb-agent","version":"0.1.0+test","protocol":1})";

core::Result<Agent> scripted(std::deque<std::string> lines,
                             std::vector<std::string>* written = nullptr) {
  return Agent::attach(std::make_unique<ScriptedChannel>(std::move(lines), written));
}

TEST(RemoteAgent, ChecksTheHelloStrictly) {
  EXPECT_TRUE(parse_hello(kHello));
  EXPECT_EQ(parse_hello(kHello)->version, "0.1.0+test");
  EXPECT_FALSE(parse_hello(R"({"agent":"gpunb-agent","version":"1","protocol":2})"));
  EXPECT_FALSE(parse_hello(R"({"agent":"other","version":"1","protocol":1})"));
  EXPECT_FALSE(parse_hello(R"({"agent":"gpunb-agent","protocol":1})"));
  EXPECT_FALSE(parse_hello("bash: line 1: agent: not found"));
  auto silent = scripted({});
  ASSERT_FALSE(silent);
  EXPECT_EQ(silent.error().kind, core::ErrorKind::network);
}

TEST(RemoteAgent, MatchesIdsAndSkipsLateReplies) {
  std::vector<std::string> written;
  auto agent = scripted({kHello, R"({"id":1,"ok":true,"a":1})", R"({"id":1,"ok":true,"late":1})",
                         R"({"id":2,"ok":true,"b":2})"},
                        &written);
  ASSERT_TRUE(agent);
  auto first = agent->call("x", {{"k", "v"}});
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, json({{"a", 1}}));
  auto second = agent->call("y");
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["b"], 2);
  EXPECT_EQ(json::parse(written[0]), json({{"id", 1}, {"op", "x"}, {"k", "v"}}));
}

TEST(RemoteAgent, MapsFailuresToErrorKinds) {
  auto agent = scripted({kHello, R"({"id":1,"ok":false,"error":"no jupyter","kind":"not_found"})",
                         R"({"id":2,"ok":false,"error":"odd","kind":"martian"})",
                         R"({"id":9,"ok":true})", "not json"});
  ASSERT_TRUE(agent);
  auto missing = agent->call("a");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, core::ErrorKind::not_found);
  EXPECT_EQ(missing.error().message, "no jupyter");
  EXPECT_EQ(agent->call("b").error().kind, core::ErrorKind::internal);
  EXPECT_NE(agent->call("c").error().message.find("protocol error"), std::string::npos);
  EXPECT_NE(agent->call("d").error().message.find("protocol error"), std::string::npos);
  EXPECT_EQ(agent->call("e").error().kind, core::ErrorKind::network);  // nothing more: timeout
}

TEST(RemoteAgent, TalksToTheRealAgent) {
  testing::AgentSandbox sandbox;
  auto agent = Agent::attach(std::make_unique<testing::AgentPipe>(sandbox.env()));
  ASSERT_TRUE(agent) << agent.error().message;
  EXPECT_EQ(agent->hello().protocol, 1);
  auto version = agent->call("version");
  ASSERT_TRUE(version);
  EXPECT_EQ((*version)["version"], agent->hello().version);
  auto unknown = agent->call("nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, core::ErrorKind::usage);
  auto status = jupyter_status(*agent, "nb");
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->running);
}

TEST(RemoteJupyter, EnsureStatusLogsStopThroughTheAgent) {
  if (!testing::have_program("jupyter")) GTEST_SKIP() << "no jupyter on this machine";
  testing::AgentSandbox sandbox;
  auto agent = Agent::attach(std::make_unique<testing::AgentPipe>(sandbox.env()));
  ASSERT_TRUE(agent);
  auto server = ensure_jupyter(*agent, "nb", "~/notebooks");
  ASSERT_TRUE(server) << server.error().message;
  EXPECT_FALSE(server->reused);
  EXPECT_EQ(server->token.size(), 64u);
  EXPECT_TRUE(std::filesystem::is_directory(sandbox.home() / "notebooks"));
  auto again = ensure_jupyter(*agent, "nb", "~/notebooks");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->port, server->port);
  auto status = jupyter_status(*agent, "nb");
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->running);
  EXPECT_EQ(status->kind, server->kind);
  auto logs = jupyter_logs(*agent, "nb", 20);
  ASSERT_TRUE(logs);
  EXPECT_EQ(logs->find(server->token), std::string::npos);
  auto restarted = restart_jupyter(*agent, "nb");
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_EQ(restarted->token, server->token);
  EXPECT_EQ(stop_jupyter(*agent, "nb").value_or(false), true);
  EXPECT_EQ(stop_jupyter(*agent, "nb").value_or(true), false);
}

}  // namespace
}  // namespace gpunb::remote
