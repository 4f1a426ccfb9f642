// The agent's pieces, in-process: loopback ports (HTTP itself: test_agent_http.cpp), redaction,
// shell quoting, probe choice, launcher.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/host/files.hpp"
#include "agent/host/http.hpp"
#include "agent/host/probe.hpp"
#include "agent/host/process.hpp"
#include "agent/jupyter/launch.hpp"
#include "base/files.hpp"
#include "base/hash.hpp"
#include "base/log.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {
namespace {

TEST(AgentHttp, FreePortIsNeverJupytersDefault) {
  auto port = free_local_port();
  ASSERT_TRUE(port);
  EXPECT_NE(*port, 8888);
  EXPECT_TRUE(local_port_free(*port));
  EXPECT_FALSE(local_port_open(*port));
  EXPECT_FALSE(http_get_local(*port, "/api/status", "", std::chrono::seconds(1)));
}

TEST(AgentFiles, RedactsEveryOccurrence) {
  base::Redactor redactor;
  redactor.add_secret("SECRET");
  EXPECT_EQ(redactor.redact("a SECRET b SECRETSECRET"), "a *** b ******");
  EXPECT_EQ(redactor.redact("GET /api?token=abcdef123456 HTTP/1.1"), "GET /api?token=*** HTTP/1.1");
  EXPECT_EQ(base::last_lines("a\nb\nc\n", 2), "b\nc");
  EXPECT_EQ(base::last_lines("a\nb", 5), "a\nb");
  EXPECT_EQ(base::last_lines("a\nb", 0), "");
  EXPECT_EQ(base::random_hex(32).size(), 64u);
  EXPECT_NE(base::random_hex(32), base::random_hex(32));
}

// A link planted where the old code put its temp file (PATH.tmp-PID) is never written through,
// and nothing is left beside PATH.
TEST(AgentFiles, AtomicWriteNeverFollowsAPlantedLinkAndUsesAnUnguessableName) {
  auto dir = std::filesystem::temp_directory_path() / ("gpunb-atomic-" + base::random_hex(6));
  std::filesystem::create_directories(dir);
  auto victim = dir / "victim";
  std::ofstream(victim) << "precious";
  auto path = dir / "state.json";
  std::filesystem::create_symlink(victim, path.string() + ".tmp-" + std::to_string(::getpid()));
  std::filesystem::create_symlink(victim, path.string() + ".tmp");
  ASSERT_TRUE(base::write_atomic(path, "{}\n", 0600));
  EXPECT_EQ(base::read_file(victim).value_or(""), "precious");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  EXPECT_EQ(base::read_file(path).value_or(""), "{}\n");
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    entries += entry.exists() ? 1 : 0;
  EXPECT_EQ(entries, 4u);  // victim, state.json and the two planted links, nothing else
  std::filesystem::remove_all(dir);
}

TEST(AgentStrings, QuotesForTheShellAndChecksNames) {
  EXPECT_EQ(base::shell_quote("it's"), "'it'\\''s'");
  EXPECT_TRUE(base::valid_name("my-notebook_2"));
  EXPECT_FALSE(base::valid_name("a.b"));
  EXPECT_FALSE(base::valid_name("a/b"));
  EXPECT_FALSE(base::valid_name(""));
  EXPECT_FALSE(base::valid_name(std::string(65, 'a')));
}

TEST(AgentProbe, PrefersLabThenNotebookThenServer) {
  std::vector<JupyterFound> found = {{"/a/jupyter", "server", "1.23.3"},
                                     {"/b/jupyter", "notebook", "6.4.12"}};
  EXPECT_EQ(choose_jupyter(found)->kind, "notebook");
  found.push_back({"/c/jupyter", "lab", "4.0.1"});
  EXPECT_EQ(choose_jupyter(found)->jupyter, "/c/jupyter");
  EXPECT_FALSE(choose_jupyter({}));
  EXPECT_EQ(parse_version("some warning\n6.4.12\n"), "6.4.12");
  EXPECT_FALSE(parse_version("Jupyter command `jupyter-lab` not found."));
}

TEST(AgentLaunch, NotebookSixTakesNotebookAppOptions) {
  LaunchPlan plan{{"/usr/bin/jupyter", "notebook", "6.4.12"}, "/usr/bin", 4242, "/w", true};
  auto args = base::join(jupyter_arguments(plan), " ");
  EXPECT_NE(args.find("--NotebookApp.notebook_dir=/w"), std::string::npos);
  EXPECT_NE(args.find("--allow-root"), std::string::npos);
  plan.jupyter = {"/opt/conda/bin/jupyter", "lab", "4.0.1"};
  plan.as_root = false;
  args = base::join(jupyter_arguments(plan), " ");
  EXPECT_NE(args.find("--ServerApp.root_dir=/w"), std::string::npos);
  EXPECT_NE(args.find("--ServerApp.port_retries=0"), std::string::npos);
  EXPECT_NE(args.find("--port=4242"), std::string::npos);
  EXPECT_EQ(args.find("--allow-root"), std::string::npos);
  EXPECT_EQ(args.find("token"), std::string::npos);
}

TEST(AgentLaunch, LauncherReadsTheTokenFileAndHoldsNoSecret) {
  LaunchPlan plan{{"/usr/bin/jupyter", "server", "1.23.3"}, "/usr/bin:/bin", 4242, "/w", false};
  JupyterFiles files{"/h/nb.json", "/h/nb.token", "/h/nb.sh", "/h/nb.pid", "/h/nb.log"};
  std::string script = launcher_script(plan, files);
  EXPECT_NE(script.find("read -r JUPYTER_TOKEN <'/h/nb.token'"), std::string::npos);
  EXPECT_NE(script.find("export JUPYTER_TOKEN"), std::string::npos);
  EXPECT_NE(script.find("exec '/usr/bin/jupyter' 'server'"), std::string::npos);
  EXPECT_NE(script.find("echo $$ >'/h/nb.pid'"), std::string::npos);
}

TEST(AgentProcess, CapturesOutputAndEnforcesTheTimeout) {
  auto done = run_command({{"sh", "-c", "echo out; echo err >&2; exit 3"}, {}, {}});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->exit_code, 3);
  EXPECT_EQ(done->output, "out\nerr\n");
  auto slow = run_command({{"sleep", "5"}, {}, {}, std::chrono::milliseconds(100)});
  ASSERT_TRUE(slow);
  EXPECT_TRUE(slow->timed_out);
  auto env = run_command({{"sh", "-c", "echo \"$A-${B:-unset}\""}, {{"A", "1"}}, {"B"}});
  EXPECT_EQ(env->output, "1-unset\n");
  EXPECT_FALSE(run_command({{"no-such-program-gpunb"}, {}, {}}));
}

}  // namespace
}  // namespace gpunb::agent
