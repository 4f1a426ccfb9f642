#include "app/lifecycle.hpp"

#include <fmt/format.h>

#include <iostream>

#include "app/machines.hpp"
#include "app/progress.hpp"
#include "app/remote.hpp"
#include "app/sync.hpp"
#include "app/tunnel_state.hpp"
#include "app/up.hpp"
#include "ledger/sync_state.hpp"
#include "remote/jupyter.hpp"
#include "sync/report.hpp"

namespace gpunb::app {

namespace {

using core::MachineState;

bool confirm(Context& context, const core::Machine& machine) {
  if (!context.output().stdin_tty || !context.output().tty) {
    throw core::Fatal({core::ErrorKind::refused,
                       "refusing to terminate " + machine.name + " without confirmation",
                       "run `gpunb down " + machine.name + " --yes` to terminate it"});
  }
  fmt::print(
      context.output().err,
      "Terminate {} ({}, {})? Its disk and everything on it{} will be deleted for ever. [y/N] ",
      machine.name, machine.id, machine.type,
      machine.workspace.empty() ? "" : " not pulled to " + machine.workspace);
  std::fflush(context.output().err);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

void forget_intent(Context& context, const core::Machine& machine) {
  context.log().info("{} was never launched; forgetting it", machine.name);
  core::value_or_throw(context.ledger().remove(machine.name));
}

// A box gpunb did not make: only its Jupyter and our tunnel end; the box itself is left alone.
core::Machine release_box(Context& context, core::Machine machine, bool forget) {
  disconnect(context, machine.name);
  auto session = open_session(context, machine);
  auto agent = start_agent(context, session);
  bool stopped = core::value_or_throw(remote::stop_jupyter(agent, machine.name));
  context.log().info("{}", stopped ? "Jupyter stopped" : "Jupyter was not running");
  if (forget) core::value_or_throw(context.ledger().remove(machine.name));
  return machine;
}

// The work comes home before a machine stops or goes: a pull, and a refusal when it cannot be
// had (unreachable, conflicts), unless forced.
void pull_before(Context& context, const core::Machine& machine, const std::string& verb,
                 bool force) {
  if (machine.workspace.empty()) return;
  auto refuse = [&](const std::string& why) {
    if (force) {
      context.log().warn("{}; going on because of --force", why);
      return;
    }
    throw core::Fatal({core::ErrorKind::refused, why + "; " + machine.name + " was not " + verb,
                       "fix that and retry, or pass --force to " + verb + " it anyway"});
  };
  if (machine.state != core::MachineState::running) {
    return refuse("cannot pull the notebooks of " + machine.name + ": it is " +
                  core::to_string(machine.state));
  }
  try {
    auto result = sync_machine(context, machine, {sync::Direction::pull, {}, false});
    fmt::print(context.output().err, "{}", sync::human_report(result.plan));
    if (result.conflicts)
      refuse("the pull left conflicts (both versions are kept in the workspace)");
  } catch (const core::Fatal& fatal) {
    refuse("cannot pull the notebooks of " + machine.name + ": " + fatal.error().message);
  }
}

}  // namespace

core::Machine start(Context& context, const std::string& name, bool no_connect) {
  auto machine = require_machine(context, name);
  if (machine.state == MachineState::shutting_down) {
    throw core::Fatal({core::ErrorKind::refused, name + " is being terminated and cannot start",
                       "create a new one with `gpunb up " + name + "`"});
  }
  return bring_up(context, machine, no_connect);
}

core::Machine stop(Context& context, const std::string& name, bool force) {
  auto machine = require_machine(context, name);
  if (machine.state == MachineState::running || machine.state == MachineState::pending) {
    pull_before(context, machine, "stopped", force);
  }
  if (machine.provider == "ssh") return release_box(context, machine, false);
  if (machine.id.empty()) {
    forget_intent(context, machine);
    return machine;
  }
  ProgressLine progress(context);
  if (machine.state == MachineState::pending) {
    machine = wait_for_state(context, machine, MachineState::running, progress);
  }
  disconnect(context, name);  // its background tunnel would only retry
  if (machine.state == MachineState::running) {
    progress.update("stopping " + name);
    core::value_or_throw(context.provider_for(machine).stop(machine));
  }
  return wait_for_state(context, machine, MachineState::stopped, progress);
}

bool autodown_pending(const core::Machine& machine) {
  return machine.stopped_by == "autodown" &&
         (machine.state == MachineState::stopped || machine.state == MachineState::stopping);
}

namespace {

core::Machine start_for_autodown(Context& context, const core::Machine& machine) {
  fmt::print(context.output().err,
             "{} was stopped by autodown with work not pulled yet; starting it to pull, then "
             "terminating it\n",
             machine.name);
  return bring_up(context, machine, false);
}

}  // namespace

SyncTarget running_for_sync(Context& context, const std::string& name, bool pulls) {
  auto machine = require_machine(context, name);
  if (pulls && autodown_pending(machine)) return {start_for_autodown(context, machine), true};
  if (machine.state != MachineState::running) {
    throw core::Fatal({core::ErrorKind::refused, name + " is " + core::to_string(machine.state),
                       "start it with `gpunb start " + name + "`"});
  }
  return {machine, false};
}

void finish_autodown(Context& context, const std::string& name) {
  bool ask = context.output().stdin_tty && context.output().tty;
  try {
    down(context, {name, !ask, false});
    fmt::print(context.output().err, "{} terminated (autodown: its work is pulled)\n", name);
  } catch (const core::Fatal& fatal) {
    if (!ask || fatal.error().kind != core::ErrorKind::refused) throw;
    fmt::print(context.output().err, "{} keeps running; its autostop applies as before\n", name);
  }
}

core::Machine down(Context& context, const DownRequest& request) {
  auto machine = require_machine(context, request.name);
  if (autodown_pending(machine)) machine = start_for_autodown(context, machine);
  if (machine.provider == "ssh") {
    pull_before(context, machine, "released", request.force);
    return release_box(context, machine, true);
  }
  if (machine.id.empty()) {
    forget_intent(context, machine);
    return machine;
  }
  pull_before(context, machine, "terminated", request.force);
  if (!request.yes && !confirm(context, machine)) {
    throw core::Fatal({core::ErrorKind::refused, "not terminated", ""});
  }
  ProgressLine progress(context);
  disconnect(context, request.name);
  progress.update("terminating " + request.name);
  auto& provider = context.provider_for(machine);
  core::value_or_throw(provider.terminate(machine));
  machine = wait_for_state(context, machine, MachineState::terminated, progress);
  core::value_or_throw(ledger::SyncState(context.ledger().database()).drop(machine.name));
  progress.update("deleting the security group");
  if (auto released = provider.release(machine); !released) {
    context.log().warn("{} (it can be deleted by hand later)", released.error().message);
  }
  return machine;
}

}  // namespace gpunb::app
