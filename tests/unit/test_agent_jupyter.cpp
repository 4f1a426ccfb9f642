// jupyter.* against the real Jupyter of this machine (Debian's jupyter-notebook / jupyter-server),
// in a throwaway HOME with private tmux and screen sockets. Skipped where Jupyter is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "agent/host/http.hpp"
#include "agent/host/process.hpp"
#include "test_agent_process.hpp"

namespace gpunb::testing {
namespace {

using nlohmann::json;

class AgentJupyter : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("jupyter")) GTEST_SKIP() << "no jupyter on this machine";
    agent = std::make_unique<AgentPipe>(sandbox.env());
    ASSERT_TRUE(agent->read_line(std::chrono::seconds(10)));  // hello
  }
  json call(json request) {
    request["id"] = ++id;
    json reply = agent->request(request);
    EXPECT_EQ(reply["id"], id);
    return reply;
  }
  json ensure(const std::string& supervisor) {
    json reply = call({{"op", "jupyter.ensure"}, {"name", "nb"}, {"supervisor", supervisor}});
    EXPECT_EQ(reply["ok"], true) << reply.dump();
    return reply;
  }
  static int status_code(int port, const std::string& token) {
    auto reply = agent::http_get_local(port, "/api/status", token, std::chrono::seconds(5));
    return reply ? reply->status : -1;
  }
  static mode_t mode_of(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
  }
  void expect_stopped(int port, pid_t pid) {
    json stop = call({{"op", "jupyter.stop"}, {"name", "nb"}});
    EXPECT_EQ(stop["stopped"], true) << stop.dump();
    EXPECT_FALSE(agent::local_port_open(port));
    EXPECT_FALSE(agent::process_alive(pid));
    EXPECT_EQ(call({{"op", "jupyter.status"}, {"name", "nb"}})["running"], false);
  }

  AgentSandbox sandbox;
  std::unique_ptr<AgentPipe> agent;
  int id = 0;
};

TEST_F(AgentJupyter, TmuxEnsureReuseLogsRestartStop) {
  if (!have_program("tmux")) GTEST_SKIP() << "no tmux";
  json first = ensure("tmux");
  int port = first["port"];
  std::string token = first["token"];
  EXPECT_EQ(first["reused"], false);
  EXPECT_EQ(first["supervisor"], "tmux");
  EXPECT_EQ(token.size(), 64u);
  EXPECT_NE(port, 8888);
  EXPECT_EQ(status_code(port, token), 200);
  EXPECT_EQ(status_code(port, ""), 403);
  EXPECT_EQ(sandbox.shell(sandbox.tmux("has-session -t =gpunb-nb")), 0);
  EXPECT_TRUE(fs::is_directory(sandbox.home() / "work/nb"));

  json again = ensure("tmux");
  EXPECT_EQ(again["reused"], true);
  EXPECT_EQ(again["port"], port);
  EXPECT_EQ(again["token"], token);

  // The token is on no command line, in no launcher, and files are private.
  EXPECT_EQ(all_command_lines().find(token), std::string::npos);
  EXPECT_EQ(read_all(sandbox.jupyter_dir() / "nb.sh").find(token), std::string::npos);
  EXPECT_EQ(mode_of(sandbox.jupyter_dir() / "nb.token"), 0600u);
  EXPECT_EQ(mode_of(sandbox.jupyter_dir() / "nb.json"), 0600u);
  EXPECT_EQ(mode_of(sandbox.jupyter_dir() / "nb.sh"), 0700u);
  EXPECT_EQ(read_all(sandbox.home() / ".gpunb/agent.log").find(token), std::string::npos);

  json status = call({{"op", "jupyter.status"}, {"name", "nb"}});
  EXPECT_EQ(status["running"], true);
  EXPECT_EQ(status["port"], port);
  EXPECT_FALSE(status.contains("token"));

  std::ofstream(sandbox.jupyter_dir() / "nb.log", std::ios::app)
      << "leak " << token << " and ?token=" << token << "\n";
  json logs = call({{"op", "jupyter.logs"}, {"name", "nb"}, {"lines", 50}});
  std::string text = logs["text"];
  EXPECT_EQ(text.find(token), std::string::npos);
  EXPECT_NE(text.find("leak *** and ?token=***"), std::string::npos) << text;
  EXPECT_NE(text.find("NotebookApp"), std::string::npos) << text;

  pid_t old_pid = first["pid"];
  json restarted = call({{"op", "jupyter.restart"}, {"name", "nb"}});
  ASSERT_EQ(restarted["ok"], true) << restarted.dump();
  EXPECT_EQ(restarted["token"], token);
  EXPECT_EQ(restarted["reused"], false);
  EXPECT_FALSE(agent::process_alive(old_pid));
  EXPECT_EQ(status_code(restarted["port"], token), 200);

  expect_stopped(restarted["port"], restarted["pid"]);
  EXPECT_NE(sandbox.shell(sandbox.tmux("has-session -t =gpunb-nb 2>/dev/null")), 0);
}

TEST_F(AgentJupyter, ScreenSupervisor) {
  if (!have_program("screen")) GTEST_SKIP() << "no screen";
  json started = ensure("screen");
  EXPECT_EQ(started["supervisor"], "screen");
  EXPECT_EQ(status_code(started["port"], started["token"]), 200);
  expect_stopped(started["port"], started["pid"]);
}

TEST_F(AgentJupyter, NohupServerOutlivesTheAgent) {
  json started = ensure("nohup");
  EXPECT_EQ(started["supervisor"], "nohup");
  agent->close_input();
  ASSERT_EQ(agent->wait_exit(std::chrono::seconds(10)), 0);
  agent = std::make_unique<AgentPipe>(sandbox.env());
  ASSERT_TRUE(agent->read_line(std::chrono::seconds(10)));
  json again = ensure("");
  EXPECT_EQ(again["reused"], true);
  EXPECT_EQ(again["supervisor"], "nohup");
  EXPECT_EQ(again["port"], started["port"]);
  expect_stopped(started["port"], started["pid"]);
}

// A fake `jupyter lab` in ~/miniconda3/bin: preferred over Debian's notebook, and it fails.
class AgentFakeLab : public AgentJupyter {
 protected:
  void SetUp() override {
    fs::path bin = sandbox.home() / "miniconda3/bin";
    fs::create_directories(bin);
    std::ofstream(bin / "jupyter")
        << "#!/bin/sh\n[ \"$2\" = --version ] && { echo 4.0.1; exit 0; }\n"
           "echo \"fake lab, token $JUPYTER_TOKEN\"\n"
           "[ -f \"$HOME/hang\" ] && exec sleep 60\nexit 3\n";
    std::ofstream(bin / "jupyter-lab") << "#!/bin/sh\nexit 0\n";
    fs::permissions(bin / "jupyter", fs::perms::owner_all);
    fs::permissions(bin / "jupyter-lab", fs::perms::owner_all);
    AgentJupyter::SetUp();
  }
};

TEST_F(AgentFakeLab, LabIsPreferredAndAnEarlyExitIsReportedRedacted) {
  json probe = call({{"op", "probe"}});
  EXPECT_EQ(probe["jupyter"]["kind"], "lab") << probe.dump();
  json reply = call({{"op", "jupyter.ensure"}, {"name", "nb"}, {"supervisor", "nohup"}});
  ASSERT_EQ(reply["ok"], false);
  EXPECT_EQ(reply["kind"], "internal");
  std::string message = reply["error"];
  EXPECT_NE(message.find("fake lab, token ***"), std::string::npos) << message;
  std::string token = read_all(sandbox.jupyter_dir() / "nb.token");
  EXPECT_EQ(message.find(token.substr(0, 64)), std::string::npos);
}

TEST_F(AgentFakeLab, ATimeoutStopsWhatWasStarted) {
  std::ofstream(sandbox.home() / "hang") << "";
  json reply = call(
      {{"op", "jupyter.ensure"}, {"name", "nb"}, {"supervisor", "tmux"}, {"ready_within_s", 2}});
  ASSERT_EQ(reply["ok"], false);
  EXPECT_EQ(reply["kind"], "network");
  EXPECT_NE(std::string(reply["error"]).find("within 2 s"), std::string::npos);
  EXPECT_NE(sandbox.shell(sandbox.tmux("has-session -t =gpunb-nb 2>/dev/null")), 0);
  EXPECT_EQ(call({{"op", "jupyter.status"}, {"name", "nb"}})["running"], false);
}

}  // namespace
}  // namespace gpunb::testing
