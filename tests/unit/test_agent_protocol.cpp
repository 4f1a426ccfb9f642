// gpunb-agent's JSON-lines protocol, driven through pipes; no SSH, no Jupyter needed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "agent/serve/serve.hpp"
#include "test_agent_process.hpp"

namespace gpunb::testing {
namespace {

using nlohmann::json;

class AgentProtocol : public ::testing::Test {
 protected:
  AgentSandbox sandbox;
  AgentPipe agent{sandbox.env()};

  json hello() {
    auto line = agent.read_line(std::chrono::seconds(10));
    EXPECT_TRUE(line) << line.error().message;
    return line ? json::parse(*line) : json(nullptr);
  }
};

TEST_F(AgentProtocol, HelloComesFirstAndIsStrict) {
  json h = hello();
  EXPECT_EQ(h["agent"], "gpunb-agent");
  EXPECT_EQ(h["protocol"], 1);
  EXPECT_EQ(h["version"], agent::version());
  EXPECT_EQ(h.size(), 3u);
}

TEST_F(AgentProtocol, ErrorsAreRepliesNotCrashes) {
  hello();
  json unknown = agent.request({{"id", 7}, {"op", "no.such.op"}});
  EXPECT_EQ(unknown["id"], 7);
  EXPECT_EQ(unknown["ok"], false);
  EXPECT_EQ(unknown["kind"], "usage");
  ASSERT_TRUE(agent.write_line("this is not json"));
  json garbage = json::parse(*agent.read_line(std::chrono::seconds(10)));
  EXPECT_EQ(garbage["ok"], false);
  EXPECT_TRUE(garbage["id"].is_null());
  json no_op = agent.request({{"id", 8}});
  EXPECT_EQ(no_op["kind"], "usage");
  json bad_name = agent.request({{"id", 9}, {"op", "jupyter.status"}, {"name", "../x"}});
  EXPECT_EQ(bad_name["kind"], "usage");
  json still_alive = agent.request({{"id", 10}, {"op", "version"}});
  EXPECT_EQ(still_alive["ok"], true);
}

TEST_F(AgentProtocol, ShutdownRepliesThenExits) {
  hello();
  json reply = agent.request({{"id", 1}, {"op", "shutdown"}});
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(agent.wait_exit(std::chrono::seconds(10)), 0);
  EXPECT_FALSE(agent.read_line(std::chrono::seconds(1)));  // nothing after the reply
}

TEST_F(AgentProtocol, EndOfInputExits) {
  hello();
  agent.close_input();
  EXPECT_EQ(agent.wait_exit(std::chrono::seconds(10)), 0);
}

TEST_F(AgentProtocol, StatusOfAnUnknownServerIsNotRunning) {
  hello();
  json reply = agent.request({{"id", 1}, {"op", "jupyter.status"}, {"name", "nothing"}});
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["running"], false);
  json stop = agent.request({{"id", 2}, {"op", "jupyter.stop"}, {"name", "nothing"}});
  EXPECT_EQ(stop["stopped"], false);
  json logs = agent.request({{"id", 3}, {"op", "jupyter.logs"}, {"name", "nothing"}});
  EXPECT_EQ(logs["kind"], "not_found");
}

TEST_F(AgentProtocol, ProbeSeesTheLoginShellTools) {
  hello();
  json reply = agent.request({{"id", 1}, {"op", "probe"}});
  ASSERT_EQ(reply["ok"], true) << reply.dump();
  if (have_program("tmux")) {
    EXPECT_TRUE(reply["tmux"].is_string());
  }
  EXPECT_TRUE(reply["jupyters"].is_array());
  EXPECT_TRUE(reply["login_path"].is_string());
  if (have_program("jupyter")) {
    EXPECT_TRUE(reply["jupyter"].is_object()) << reply.dump();
  }
}

TEST_F(AgentProtocol, KeepsItsLogPrivate) {
  hello();
  agent.request({{"id", 1}, {"op", "version"}});
  struct stat st {};
  ASSERT_EQ(::stat((sandbox.home() / ".gpunb/agent.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((sandbox.home() / ".gpunb").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_NE(read_all(sandbox.home() / ".gpunb/agent.log").find("op version"), std::string::npos);
}

}  // namespace
}  // namespace gpunb::testing
