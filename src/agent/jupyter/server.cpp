#include "agent/jupyter/server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "agent/host/files.hpp"
#include "agent/host/http.hpp"
#include "agent/host/process.hpp"
#include "agent/jupyter/launch.hpp"
#include "base/clock.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {
namespace {

using Clock = std::chrono::steady_clock;

// Polls PREDICATE with a growing pause (10 ms .. 250 ms) until it holds or LIMIT passes.
template <typename Predicate>
bool poll_until(Predicate predicate, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  auto pause = std::chrono::milliseconds(10);
  while (!predicate()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return true;
}

std::string log_excerpt(const JupyterFiles& files) {
  auto lines = base::split(base::trim(redacted_log(files, 12)), '\n');
  return lines.empty() || lines[0].empty() ? "(empty log)" : base::join(lines, " | ");
}

// SIGTERM (Jupyter then shuts its kernels down), SIGKILL to its process group after 15 s.
void terminate(pid_t pid) {
  if (!process_alive(pid)) return;
  ::kill(pid, SIGTERM);
  if (poll_until([&] { return !process_alive(pid); }, std::chrono::seconds(15))) return;
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  poll_until([&] { return !process_alive(pid); }, std::chrono::seconds(5));
}

// A self-signed certificate for --expose, made on the machine (its key never travels).
Status ensure_certificate(const Exposure& expose) {
  if (std::filesystem::exists(expose.certfile) && std::filesystem::exists(expose.keyfile))
    return {};
  Command openssl{
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-subj",
       "/CN=gpunb-jupyter", "-keyout", expose.keyfile, "-out", expose.certfile},
      {},
      {},
      std::chrono::seconds(60)};
  auto done = run_command(openssl);
  if (!done || done->exit_code != 0) {
    return fail(ErrorKind::not_found,
                "cannot make a certificate with openssl; pass one with --cert/--key");
  }
  ::chmod(expose.keyfile.c_str(), 0600);
  return {};
}

Result<LaunchPlan> prepare(Context& context, const StartRequest& request,
                           const JupyterFiles& files) {
  const Probe& probe = ensure_probe(context);
  if (!probe.chosen) {
    return fail(ErrorKind::not_found,
                "no Jupyter found (looked for `jupyter lab`, `jupyter notebook` and "
                "`jupyter server` in a login shell and in the conda folders)");
  }
  LaunchPlan plan{*probe.chosen,    probe.login_path, 0, expand_home(request.workdir).string(),
                  ::geteuid() == 0, request.expose};
  std::error_code ec;
  std::filesystem::create_directories(plan.workdir, ec);
  if (ec) return fail(ErrorKind::internal, "cannot create " + plan.workdir + ": " + ec.message());
  TRY(base::make_dirs(context.jupyter_dir(), 0700));
  TRY(write_token(files, request.token));
  if (plan.expose) {
    TRY(ensure_certificate(*plan.expose));
  }
  int wanted = plan.expose ? plan.expose->port : request.preferred_port;
  auto port = local_port_free(wanted) ? Result<int>(wanted) : free_local_port();
  if (plan.expose && (!port || *port != wanted)) {
    return fail(ErrorKind::refused, "port " + std::to_string(wanted) + " is taken on the machine");
  }
  TRY(port);
  plan.port = *port;
  auto ok = base::write_atomic(files.launcher, launcher_script(plan, files), 0700);
  TRY(ok);
  return plan;
}

// Waits until the launcher has written its pid and /api/status answers 200 with the token.
Result<pid_t> wait_ready(const JupyterFiles& files, int port, const std::string& token,
                         std::chrono::seconds limit, bool exposed) {
  pid_t pid = 0;
  bool died = false;
  bool ready = poll_until(
      [&] {
        pid = read_pid(files).value_or(0);
        if (pid == 0) return false;
        died = !process_alive(pid);
        if (exposed) return died || local_port_open(port);
        auto reply = http_get_local(port, "/api/status", token, std::chrono::seconds(2));
        return died || (reply && reply->status == 200);
      },
      limit);
  if (died)
    return fail(ErrorKind::internal, "Jupyter exited while starting; log: " + log_excerpt(files));
  if (!ready) {
    return fail(ErrorKind::network, "Jupyter did not answer within " +
                                        std::to_string(limit.count()) +
                                        " s; log: " + log_excerpt(files));
  }
  return pid;
}

}  // namespace

const Probe& ensure_probe(Context& context) {
  if (!context.probe) context.probe = run_probe(true);
  return *context.probe;
}

Result<ServerRecord> start_server(Context& context, const StartRequest& request) {
  context.log->add_secret(request.token);
  auto files = jupyter_files(context, request.name);
  auto plan = prepare(context, request, files);
  TRY(plan);
  auto supervisor = pick_supervisor(*context.probe, request.supervisor);
  TRY(supervisor);
  ::unlink(files.pid.c_str());
  context.log->write("jupyter " + request.name + ": starting " + plan->jupyter.kind + " on port " +
                     std::to_string(plan->port) + " under " + *supervisor);
  auto started = start_supervised(*context.probe, *supervisor, request.name, files);
  TRY(started);
  auto pid =
      wait_ready(files, plan->port, request.token, request.ready_within, plan->expose.has_value());
  ServerRecord record{plan->port,
                      pid.value_or(read_pid(files).value_or(0)),
                      plan->jupyter.kind,
                      *supervisor,
                      base::utc_now(),
                      plan->workdir,
                      plan->expose.has_value()};
  if (auto ok = write_record(files, record); !ok || !pid) {
    (void)stop_server(context, request.name);  // leave nothing half started
    return tl::unexpected(pid ? ok.error() : pid.error());
  }
  return record;
}

Result<bool> stop_server(Context& context, const std::string& name) {
  auto files = jupyter_files(context, name);
  auto record = read_record(files);
  pid_t pid = record ? record->pid : read_pid(files).value_or(0);
  bool was_running = process_alive(pid);
  terminate(pid);
  if (record) {
    auto program = record->supervisor == "tmux" ? find_program("tmux") : find_program("screen");
    if (context.probe)
      program = record->supervisor == "tmux" ? context.probe->tmux : context.probe->screen;
    end_supervisor_session(program, record->supervisor, name);
    if (!poll_until([&] { return !local_port_open(record->port); }, std::chrono::seconds(10))) {
      return fail(ErrorKind::internal, "port " + std::to_string(record->port) + " is still open");
    }
  }
  remove_record(files);
  context.log->write("jupyter " + name + (was_running ? ": stopped" : ": was not running"));
  return was_running;
}

}  // namespace gpunb::agent
