#include "app/up.hpp"

#include <fmt/format.h>

#include <regex>

#include "app/autostop.hpp"
#include "app/cost.hpp"
#include "app/machines.hpp"
#include "app/progress.hpp"
#include "app/ssh_cidr.hpp"
#include "base/clock.hpp"
#include "base/hash.hpp"
#include "ledger/sync_state.hpp"
#include "providers/sshhost/ssh_provider.hpp"

namespace gpunb::app {

namespace {

using core::MachineState;

core::MachineSpec make_spec(Context& context, const UpRequest& request, const std::string& region) {
  const auto& config = context.config();
  core::MachineSpec spec;
  spec.name = request.name;
  spec.types = !request.types.empty()  ? request.types
               : !config.types.empty() ? config.types
                                       : std::vector<std::string>{"g5.xlarge"};
  spec.region = region;
  spec.ami = request.ami ? request.ami : config.ami;
  spec.user = request.user ? request.user : config.user;
  spec.disk_gb = request.disk_gb.value_or(config.disk_gb.value_or(100));
  spec.spot = request.spot;
  spec.allow_cpu = request.allow_cpu;
  spec.ssh_cidr = resolve_ssh_cidr(context, request.ssh_cidr);
  return spec;
}

}  // namespace

core::Machine launch_new(Context& context, const core::MachineSpec& spec, std::string token,
                         bool resume, ProgressLine& progress) {
  auto& provider = context.provider(spec.region);
  auto report = [&](const std::string& step, providers::Importance importance) {
    if (importance == providers::Importance::notice) {
      progress.done();
      context.log().warn("{}", step);
    }
    progress.update(step);
  };
  auto prepared = core::value_or_throw(provider.prepare(spec, report));
  core::Machine intent;
  intent.name = spec.name;
  intent.region = spec.region;
  intent.type = spec.types.front();
  intent.state = MachineState::intent;
  intent.user = prepared.user;
  intent.client_token = std::move(token);
  intent.launched_at = base::unix_seconds(context.clock().now());
  intent.spot = spec.spot;
  // Written before anything costs money, so an interrupted `up` never leaves an unknown instance.
  core::value_or_throw(resume ? context.ledger().upsert(intent)
                              : context.ledger().record_intent(intent));
  throw_if_interrupted("nothing was launched; run `gpunb up " + spec.name + "` again");
  auto launched = provider.launch(spec, prepared, intent.client_token, report);
  if (!launched) {
    // A definite refusal launched nothing; after a network error the outcome is unknown, so the
    // intent stays and the next run finds the instance by its tags.
    if (!base::is_transient(launched.error().kind)) {
      core::value_or_throw(context.ledger().remove(spec.name));
    }
    throw core::Fatal(launched.error());
  }
  auto machine = std::move(*launched);
  machine.name = spec.name;
  machine.client_token = intent.client_token;
  if (machine.user.empty()) machine.user = prepared.user;
  // What cost accounting needs: where this machine's history begins (the name may have served an
  // earlier machine) and the size of the disk it pays for until it is terminated.
  auto now = base::unix_seconds(context.clock().now());
  core::value_or_throw(
      context.ledger().add_event(machine.name, kLaunchEvent, launch_detail(machine), now));
  record(context, machine);
  core::value_or_throw(
      context.ledger().add_event(machine.name, kDiskEvent, std::to_string(spec.disk_gb), now));
  context.log().info("launched {} ({}, {}) from {}", spec.name, machine.id, machine.type,
                     prepared.image_name);
  return machine;
}

namespace {

std::string workspace_for(Context& context, const core::Machine& machine,
                          const UpRequest& request) {
  std::filesystem::path wanted = request.workspace ? std::filesystem::path(*request.workspace)
                                 : machine.workspace.empty()
                                     ? std::filesystem::current_path()
                                     : std::filesystem::path(machine.workspace);
  std::error_code error;
  auto absolute = std::filesystem::canonical(wanted, error);
  if (error || !std::filesystem::is_directory(absolute)) {
    throw core::Fatal({core::ErrorKind::usage, "workspace " + wanted.string() + " is not a folder",
                       "pass --workspace with an existing folder"});
  }
  // Mirroring a whole home or the root folder is never what was meant.
  if (absolute == std::filesystem::path("/") ||
      absolute == std::filesystem::weakly_canonical(context.env().home())) {
    throw core::Fatal({core::ErrorKind::usage,
                       "refusing to mirror " + absolute.string() + " to the machine",
                       "cd into your notebooks folder, or pass --workspace DIR"});
  }
  return absolute.string();
}

// Records the folder the machine mirrors; a new folder starts a new sync history.
core::Machine with_workspace(Context& context, core::Machine machine, const std::string& folder) {
  if (machine.workspace == folder) return machine;
  if (!machine.workspace.empty()) {
    ledger::SyncState state(context.ledger().database());
    core::value_or_throw(state.drop(machine.name));
  }
  machine.workspace = folder;
  record(context, machine);
  return machine;
}

}  // namespace

void validate_name(const std::string& name) {
  static const std::regex pattern("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
  if (!std::regex_match(name, pattern)) {
    throw core::Fatal({core::ErrorKind::usage, "invalid machine name '" + name + "'",
                       "use letters, digits, '-' and '_' (at most 63)"});
  }
}

core::Machine bring_up(Context& context, core::Machine machine, bool no_connect) {
  ProgressLine progress(context);
  if (machine.state == MachineState::stopping) {
    machine = wait_for_state(context, machine, MachineState::stopped, progress);
  }
  auto stopped = machine;
  if (machine.state == MachineState::stopped) {
    progress.update("starting " + machine.name);
    core::value_or_throw(context.provider_for(machine).start(machine));
  }
  if (machine.state != MachineState::running) {
    machine = wait_for_state(context, machine, MachineState::running, progress);
  }
  // Running again: why its watcher stopped it no longer holds (`ls` would say it later).
  if (auto cleared = context.provider_for(stopped).clear_stopped_by(stopped); !cleared)
    context.log().warn("{}", cleared.error().message);
  machine.stopped_by.clear();
  if (!no_connect) wait_for_ssh(context, machine, progress);
  return machine;
}

// An existing box: recorded in the ledger, never launched, started or stopped by gpunb.
core::Machine up_host(Context& context, const UpRequest& request, const std::string& host) {
  auto address = core::value_or_throw(providers::sshhost::parse_host(host));
  auto existing = core::value_or_throw(context.ledger().find(request.name));
  if (existing && existing->provider != "ssh" && core::is_live(existing->state)) {
    throw core::Fatal({core::ErrorKind::refused, request.name + " is already a cloud machine",
                       "pick another name for the box at " + host});
  }
  auto machine = providers::sshhost::machine_for(request.name, address);
  check_max_hours(machine, {std::nullopt, false, request.connect.max_running_s});
  if (request.user) machine.user = *request.user;
  if (existing) machine.workspace = existing->workspace;
  record(context, machine);
  machine = with_workspace(context, machine, workspace_for(context, machine, request));
  return bring_up(context, machine, request.no_connect);
}

std::optional<std::string> configured_host(Context& context, const UpRequest& request) {
  if (request.host) return request.host;
  auto found = context.config().machines.find(request.name);
  if (found == context.config().machines.end()) return std::nullopt;
  return found->second;
}

core::Machine up(Context& context, const UpRequest& request) {
  validate_name(request.name);
  if (auto host = configured_host(context, request)) return up_host(context, request, *host);
  auto existing = find_machine(context, request.name);
  bool reusable = existing && existing->state != MachineState::terminated &&
                  existing->state != MachineState::shutting_down;
  if (reusable && !existing->id.empty()) {
    context.log().info("{} exists ({}); reusing it", request.name,
                       core::to_string(existing->state));
    auto machine = with_workspace(context, *existing, workspace_for(context, *existing, request));
    return bring_up(context, machine, request.no_connect);
  }
  auto folder = workspace_for(context, existing ? *existing : core::Machine{}, request);
  auto region = existing && reusable ? existing->region : context.default_region();
  auto spec = make_spec(context, request, region);
  if (existing && !reusable) core::value_or_throw(context.ledger().remove(request.name));
  bool resume = reusable;  // an intent without an instance: launch again with the same token
  auto token = resume ? existing->client_token : base::random_hex(16);
  ProgressLine progress(context);
  auto machine = launch_new(context, spec, token, resume, progress);
  progress.done();
  machine = with_workspace(context, machine, folder);
  return bring_up(context, machine, request.no_connect);
}

}  // namespace gpunb::app
