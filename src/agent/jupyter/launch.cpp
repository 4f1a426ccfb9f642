#include "agent/jupyter/launch.hpp"

#include <filesystem>

#include "agent/host/files.hpp"
#include "agent/host/process.hpp"
#include "base/expected.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {

std::vector<std::string> jupyter_arguments(const LaunchPlan& plan) {
  std::string app = plan.jupyter.notebook_app() ? "--NotebookApp." : "--ServerApp.";
  std::string dir_option = plan.jupyter.notebook_app() ? "notebook_dir=" : "root_dir=";
  std::vector<std::string> args = {
      plan.jupyter.jupyter,
      plan.jupyter.kind,
      "--no-browser",
      plan.expose ? "--ip=0.0.0.0" : "--ip=127.0.0.1",
      "--port=" + std::to_string(plan.port),
      app + "port_retries=0",
      app + (plan.expose ? "allow_remote_access=True" : "allow_remote_access=False"),
      app + dir_option + plan.workdir};
  if (plan.expose) {
    args.push_back(app + "certfile=" + plan.expose->certfile);
    args.push_back(app + "keyfile=" + plan.expose->keyfile);
  }
  if (plan.as_root) args.emplace_back("--allow-root");
  return args;
}

std::string launcher_script(const LaunchPlan& plan, const JupyterFiles& files) {
  std::string bin = std::filesystem::path(plan.jupyter.jupyter).parent_path().string();
  std::string exec_line = "exec";
  for (const auto& arg : jupyter_arguments(plan)) exec_line += " " + base::shell_quote(arg);
  return "#!/bin/sh\n"
         "# Written by gpunb-agent. Holds no secret: the token comes from the token file.\n"
         // stdin stays: tmux ends a pane whose processes all let go of its terminal.
         "exec >>" +
         base::shell_quote(files.log.string()) +
         " 2>&1\n"
         "echo \"gpunb: starting Jupyter (pid $$) at $(date -u)\"\n"
         "echo $$ >" +
         base::shell_quote(files.pid.string()) +
         "\n"
         "IFS= read -r JUPYTER_TOKEN <" +
         base::shell_quote(files.token.string()) +
         " || exit 1\n"
         "export JUPYTER_TOKEN\n"
         "PATH=" +
         base::shell_quote(bin + ":" + plan.login_path) +
         "\n"
         "export PATH\n"
         "cd " +
         base::shell_quote(plan.workdir) + " || exit 1\n" + exec_line + "\n";
}

std::string session_name(const std::string& name) {
  return "gpunb-" + name;
}

Result<std::string> pick_supervisor(const Probe& probe, const std::string& wanted) {
  if (wanted == "tmux" && !probe.tmux) return fail(ErrorKind::not_found, "tmux is not installed");
  if (wanted == "screen" && !probe.screen)
    return fail(ErrorKind::not_found, "screen is not installed");
  if (!wanted.empty() && wanted != "tmux" && wanted != "screen" && wanted != "nohup") {
    return fail(ErrorKind::usage, "supervisor must be tmux, screen or nohup");
  }
  if (!wanted.empty()) return wanted;
  return std::string(probe.tmux ? "tmux" : probe.screen ? "screen" : "nohup");
}

static Status checked(const Result<Completed>& done, const std::string& what) {
  TRY(done);
  if (done->exit_code != 0) {
    return fail(ErrorKind::internal,
                what + " failed: " + base::trim(base::last_lines(done->output, 3)));
  }
  return {};
}

Status start_supervised(const Probe& probe, const std::string& supervisor, const std::string& name,
                        const JupyterFiles& files) {
  std::string script = files.launcher.string();
  // A stale session of the same name would make new-session fail.
  end_supervisor_session(supervisor == "tmux" ? probe.tmux : probe.screen, supervisor, name);
  if (supervisor == "tmux") {
    Command tmux{{*probe.tmux, "new-session", "-d", "-s", session_name(name),
                  "exec sh " + base::shell_quote(script)},
                 {},
                 {"TMUX"}};
    return checked(run_command(tmux), "tmux new-session");
  }
  if (supervisor == "screen") {
    Command screen{{*probe.screen, "-dmS", session_name(name), "sh", script}, {}, {"STY"}};
    return checked(run_command(screen), "screen -dmS");
  }
  return spawn_detached({{"/bin/sh", script}, {}, {}});
}

void end_supervisor_session(const std::optional<std::string>& program,
                            const std::string& supervisor, const std::string& name) {
  if (!program) return;
  if (supervisor == "tmux") {
    (void)run_command({{*program, "kill-session", "-t", "=" + session_name(name)}, {}, {"TMUX"}});
  }
  if (supervisor == "screen") {
    (void)run_command({{*program, "-S", session_name(name), "-X", "quit"}, {}, {"STY"}});
  }
}

}  // namespace gpunb::agent
