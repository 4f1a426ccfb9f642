#include "app/connect.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "app/autostop.hpp"
#include "app/progress.hpp"
#include "app/remote.hpp"
#include "app/ssh_cidr.hpp"
#include "app/sync.hpp"
#include "app/tunnel_state.hpp"
#include "app/watch_report.hpp"
#include "base/strings.hpp"
#include "base/text.hpp"
#include "remote/jupyter.hpp"
#include "ssh/tunnel.hpp"
#include "sync/report.hpp"

namespace gpunb::app {

namespace {

std::string notebook_url(int port, const std::string& token) {
  // The token comes from the machine: percent-encoded, it cannot end the URL or add to it.
  return fmt::format("http://127.0.0.1:{}/?token={}", port, base::uri_encode(token));
}

// When the machine's watcher will stop it (steady-clock times in ms; -1: not idle, or unknown),
// as last asked by the countdown thread; the status line shows the last 5 minutes of autostop
// and warns 10 minutes before --max-hours.
struct Deadlines {
  std::atomic<long long> autostop{-1};
  std::atomic<long long> cap{-1};
};
using AutostopDeadline = std::shared_ptr<Deadlines>;
constexpr long long kCountdownS = 5 * 60;
constexpr long long kCapWarningS = 10 * 60;

long long steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Seconds until AT (steady ms), when it is set and at most WITHIN away.
std::optional<long long> seconds_left(long long at, long long within) {
  if (at < 0) return std::nullopt;
  long long left = std::max(0LL, (at - steady_ms() + 999) / 1000);
  if (left > within) return std::nullopt;
  return left;
}

std::string countdown(const AutostopDeadline& deadline) {
  if (!deadline) return "";
  std::string text;
  if (auto left = seconds_left(deadline->cap.load(), kCapWarningS))
    text +=
        fmt::format(" - max-hours: stops in {}", *left > 0 ? human_duration(*left) : "a moment");
  if (auto left = seconds_left(deadline->autostop.load(), kCountdownS))
    text += fmt::format(" - idle: autostop in {}", *left > 0 ? human_duration(*left) : "a moment");
  return text;
}

std::string status_line(const std::string& name, int port, const ssh::TunnelStatus& status,
                        const AutostopDeadline& deadline) {
  if (status.state == ssh::TunnelState::reconnecting) {
    return fmt::format("{} on 127.0.0.1:{}: reconnecting ({}); the tab will work again by itself",
                       name, port, status.last_error);
  }
  return fmt::format(
      "{} on 127.0.0.1:{}: connected, {} open, {:.1f} MB down, {:.1f} MB up{} - Ctrl-C closes",
      name, port, status.open_connections, static_cast<double>(status.bytes_down) / 1e6,
      static_cast<double>(status.bytes_up) / 1e6, countdown(deadline));
}

// The deadline from a watch.status reply: only while the watcher runs and finds the machine idle.
long long deadline_of(const nlohmann::json& reply) {
  auto report = report_of(reply, "", 0);
  if (!report || !report->stop_in) return -1;
  return steady_ms() + 1000 * *report->stop_in;
}

// When --max-hours stops the machine, from a watch.status reply (both clocks the machine's).
long long cap_deadline_of(const nlohmann::json& reply) {
  auto state = reply.value("state", nlohmann::json());
  if (!reply.value("running", false) || !state.is_object()) return -1;
  auto cap_at = state.value("cap_at", 0LL);
  if (cap_at <= 0) return -1;
  return steady_ms() + 1000 * std::max(0LL, cap_at - reply.value("now", cap_at));
}

// Asks the machine's watcher (watch.status) every 30 s on a session of its own, for the status
// line's countdown and for `ls` (the report is kept: watch_report.hpp). An exec channel is not
// activity to the watcher (no pty, no forwarded connection), so asking keeps nothing alive.
// Until the watcher has sampled once (just after `up`), it asks again after 2 s.
std::jthread start_watch_poll(Context& context, const core::Machine& machine,
                              AutostopDeadline deadline) {
  return std::jthread([&context, machine, deadline](const std::stop_token& stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    std::unique_ptr<ssh::Session> session;
    std::unique_ptr<remote::Agent> agent;
    auto period = std::chrono::seconds(30);
    do {
      try {
        if (!agent) {
          session = std::make_unique<ssh::Session>(open_session(context, machine));
          agent = std::make_unique<remote::Agent>(start_agent(context, *session));
        }
        // a short timeout: leaving the tunnel waits for this call
        auto reply = watch_status(context, machine, *agent, std::chrono::seconds(5));
        deadline->autostop.store(deadline_of(reply));
        deadline->cap.store(cap_deadline_of(reply));
        bool sampled = reply.value("state", nlohmann::json()).is_object();
        period = std::chrono::seconds(reply.value("running", false) && !sampled ? 2 : 30);
      } catch (const std::exception&) {  // the machine is away: the tunnel says so already
        agent.reset();
        session.reset();
        deadline->autostop.store(-1);
        deadline->cap.store(-1);
        period = std::chrono::seconds(30);
      }
    } while (!wake.wait_for(lock, stop, period, [&stop] { return stop.stop_requested(); }));
    agent.reset();
  });
}

// Draws the status on a terminal; elsewhere logs the changes of state only.
std::function<void(const ssh::TunnelStatus&)> status_printer(Context& context,
                                                             const std::string& name,
                                                             const int& port,
                                                             AutostopDeadline deadline) {
  auto last = std::make_shared<ssh::TunnelState>(ssh::TunnelState::connected);
  return [&context, name, &port, last, deadline](const ssh::TunnelStatus& status) {
    if (context.output().tty) {
      fmt::print(context.output().err, "\r\033[K{}", status_line(name, port, status, deadline));
      std::fflush(context.output().err);
    } else if (status.state != *last) {
      context.log().warn("tunnel: {}", status.state == ssh::TunnelState::reconnecting
                                           ? "reconnecting: " + status.last_error
                                           : std::string("connected again"));
    }
    *last = status.state;
  };
}

ssh::TunnelOptions tunnel_options(Context& context, const core::Machine& machine, int remote_port,
                                  const ConnectRequest& request) {
  ssh::TunnelOptions options;
  options.local_port = request.port;
  options.remote_port = remote_port;
  auto session_options = connect_options(context, machine);
  options.reconnect = [&services = context.services(), session_options]() {
    return services.connect_ssh(session_options);
  };
  return options;
}

// --autopull: a pull every few minutes while the tunnel runs, on a connection of its own, so a
// lost laptop or machine costs at most that much work.
std::jthread start_autopull(Context& context, const core::Machine& machine, int minutes) {
  if (minutes <= 0 || machine.workspace.empty()) return {};
  return std::jthread([&context, machine, minutes](const std::stop_token& stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    // wait_for returns the predicate's value: true (leave) once a stop is requested.
    while (!wake.wait_for(lock, stop, std::chrono::minutes(minutes),
                          [&stop] { return stop.stop_requested(); })) {
      try {
        auto result = sync_machine(context, machine, {sync::Direction::pull, {}, false});
        context.log().info("autopull: {}", sync::human_report(result.plan));
      } catch (const core::Fatal& fatal) {
        context.log().warn("autopull of {} failed: {}", machine.name, fatal.error().message);
      }
    }
  });
}

int serve(Context& context, const core::Machine& machine, ssh::Session session, ssh::Tunnel tunnel,
          int autopull_minutes, const AutostopDeadline& deadline) {
  auto puller = start_autopull(context, machine, autopull_minutes);
  auto poll = start_watch_poll(context, machine, deadline);
  auto status = tunnel.run(std::move(session), interrupt_flag());
  if (context.output().tty) fmt::print(context.output().err, "\n");
  fmt::print(context.output().err,
             "Tunnel closed. {} keeps running (and costing): `gpunb stop {}` or `gpunb down {}`.\n",
             machine.name, machine.name, machine.name);
  if (!status) throw core::Fatal(status.error());
  return 0;
}

[[noreturn]] void detach(Context& context, const core::Machine& machine, ssh::Session session,
                         ssh::Tunnel tunnel, int autopull_minutes) {
  std::fflush(nullptr);
  pid_t child = ::fork();
  if (child < 0)
    throw core::Fatal({core::ErrorKind::internal, "cannot start the background tunnel"});
  if (child == 0) {
    ::setsid();
    redirect_to_log(context, machine.name);
    auto puller = start_autopull(context, machine, autopull_minutes);
    auto poll = start_watch_poll(context, machine, std::make_shared<Deadlines>());
    auto status = tunnel.run(std::move(session), interrupt_flag());
    std::_Exit(status ? 0 : 1);
  }
  save_detached(context, machine.name, {static_cast<int>(child), tunnel.local_port()});
  fmt::print(context.output().err,
             "Tunnel runs in the background; `gpunb disconnect {}` closes it.\n", machine.name);
  std::fflush(nullptr);
  std::_Exit(0);  // the session now belongs to the child: no goodbye from this process
}

// The discouraged "method 2": Jupyter over HTTPS on the machine's own address, token required,
// its port open to one address only. No tunnel.
int connect_exposed(Context& context, const core::Machine& machine, const ConnectRequest& request,
                    remote::Agent& agent) {
  auto cidr = resolve_ssh_cidr(context, request.ssh_cidr);
  bool firewalled = core::value_or_throw(
      context.provider_for(machine).allow_inbound(machine, *request.expose_port, cidr));
  remote::Exposure exposure{*request.expose_port, request.certfile, request.keyfile};
  auto server = core::value_or_throw(
      remote::ensure_exposed_jupyter(agent, machine.name, jupyter_workdir(machine), exposure));
  context.log().redactor().add_secret(server.token);
  fmt::print(context.output().out, "Jupyter: https://{}:{}/?token={}\n", machine.public_ip,
             server.port, base::uri_encode(server.token));
  context.log().warn("Jupyter is exposed on {}:{} over HTTPS{} ({}); the default tunnel is safer",
                     machine.public_ip, server.port,
                     request.certfile.empty() ? " with a self-signed certificate" : "",
                     firewalled ? "reachable from " + cidr + " only"
                                : "this box has no gpunb firewall: your network decides");
  return 0;
}

// `up` sends the workspace before Jupyter starts; conflicts are kept and reported, not fatal.
void push_workspace(Context& context, const core::Machine& machine, ssh::Session& session,
                    remote::Agent& agent) {
  if (machine.workspace.empty()) return;
  auto transport = agent_transport(session, agent, remote_workspace(machine), machine.workspace,
                                   agent_path(context));
  auto result = run_sync(context, machine, *transport, {sync::Direction::push, {}, false});
  fmt::print(context.output().err, "{}", sync::human_report(result.plan));
  if (result.conflicts)
    context.log().warn("push left conflicts: both versions are kept (see above)");
}

// The machine's idle watcher, started (or kept) with the autostop setting; a failure is told,
// not fatal: the notebook still opens.
void arm_autostop(Context& context, const core::Machine& machine, remote::Agent& agent,
                  const ConnectRequest& request) {
  try {
    auto reply = configure_watch(context, machine, agent,
                                 {request.autostop_s, request.autodown, request.max_running_s});
    auto seconds = reply["settings"].value("autostop_s", 0LL);
    context.log().info("autostop: {}", human_duration(seconds));
  } catch (const core::Fatal& fatal) {
    context.log().warn("autostop could not be set on {}: {}", machine.name, fatal.error().message);
  }
}

}  // namespace

int connect(Context& context, const core::Machine& machine, const ConnectRequest& request) {
  check_max_hours(machine, {std::nullopt, false, request.max_running_s});
  ProgressLine progress(context);
  progress.update("connecting to " + machine.name);
  auto session = open_session(context, machine);
  progress.update("starting Jupyter on " + machine.name);
  auto agent = start_agent(context, session);
  if (request.push_first) {
    progress.done();
    push_workspace(context, machine, session, agent);
  }
  arm_autostop(context, machine, agent, request);
  if (request.expose_port) {
    progress.done();
    return connect_exposed(context, machine, request, agent);
  }
  auto server =
      core::value_or_throw(remote::ensure_jupyter(agent, machine.name, jupyter_workdir(machine)));
  context.log().redactor().add_secret(server.token);
  progress.done();
  if (auto running = detached_tunnel(context, machine.name)) {
    auto url = notebook_url(running->port, server.token);
    fmt::print(context.output().out, "Jupyter: {}\n", url);
    if (request.open_browser) open_browser(context, machine.name, url);
    fmt::print(context.output().err,
               "(a tunnel for {} is already open; `gpunb disconnect {}` closes it)\n", machine.name,
               machine.name);
    return 0;
  }
  int port = 0;
  auto options = tunnel_options(context, machine, server.port, request);
  auto deadline = std::make_shared<Deadlines>();
  options.on_status = status_printer(context, machine.name, port, deadline);
  auto tunnel = core::value_or_throw(ssh::Tunnel::bind(options));
  port = tunnel.local_port();
  auto url = notebook_url(port, server.token);
  fmt::print(context.output().out, "Jupyter: {}\n", url);  // the one place the token is shown
  std::fflush(context.output().out);
  if (server.reused) context.log().info("reusing the running Jupyter server");
  if (request.open_browser) open_browser(context, machine.name, url);
  if (request.detach) {
    detach(context, machine, std::move(session), std::move(tunnel), request.autopull_minutes);
  }
  return serve(context, machine, std::move(session), std::move(tunnel), request.autopull_minutes,
               deadline);
}

}  // namespace gpunb::app
