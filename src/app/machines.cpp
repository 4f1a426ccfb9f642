#include "app/machines.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/clock.hpp"
#include "net/tcp.hpp"

namespace gpunb::app {

namespace {

using core::MachineState;

std::optional<core::Machine> find_in_cloud(Context& context, const std::string& region,
                                           const std::string& name) {
  auto listed = core::value_or_throw(context.provider(region).list());
  auto it = std::find_if(listed.begin(), listed.end(), [&](const core::Machine& machine) {
    return machine.name == name && machine.state != MachineState::terminated;
  });
  if (it == listed.end()) return std::nullopt;
  return *it;
}

core::Machine refresh(Context& context, core::Machine known) {
  auto current = context.provider_for(known).query(known);
  if (!current && current.error().kind == core::ErrorKind::not_found) {
    known.state = MachineState::terminated;  // EC2 forgets terminated instances after a while
    return known;
  }
  auto machine = core::value_or_throw(std::move(current));
  machine.name = known.name;
  if (machine.user.empty()) machine.user = known.user;
  machine.hourly_price = known.hourly_price;
  machine.workspace = known.workspace;
  return machine;
}

// A launch that was cut short: the instance may exist although the ledger has no id yet.
core::Machine resolve_intent(Context& context, const core::Machine& intent) {
  auto adopted = find_in_cloud(context, intent.region, intent.name);
  if (!adopted) return intent;
  adopted->client_token = intent.client_token;
  adopted->workspace = intent.workspace;
  return *adopted;
}

bool can_still_reach(MachineState state, MachineState target) {
  if (state == MachineState::terminated) return target == MachineState::terminated;
  if (state == MachineState::shutting_down) return target == MachineState::terminated;
  return true;
}

// When the new state began. The machine's idle watcher may have stopped it hours before gpunb
// looked, so take the cloud's time where it gives one, kept between the machine's newest event
// and now so the history stays in order. A machine with no history yet starts it now.
std::int64_t state_change_time(ledger::Ledger& ledger, const core::Machine& machine,
                               std::int64_t now) {
  if (machine.state_since <= 0) return now;
  auto events = core::value_or_throw(ledger.events(machine.name));  // oldest first
  if (events.empty()) return now;
  return std::min(std::max(machine.state_since, events.back().time), now);
}

}  // namespace

void record(Context& context, const core::Machine& machine) {
  auto& ledger = context.ledger();
  auto before = core::value_or_throw(ledger.find(machine.name));
  core::value_or_throw(ledger.upsert(machine));
  if (!before || before->state != machine.state) {
    auto now = base::unix_seconds(context.clock().now());
    auto time = state_change_time(ledger, machine, now);
    core::value_or_throw(
        ledger.add_event(machine.name, "state", core::to_string(machine.state), time));
  }
}

std::optional<core::Machine> find_machine(Context& context, const std::string& name) {
  auto known = core::value_or_throw(context.ledger().find(name));
  if (known) {
    auto current = known->id.empty() ? resolve_intent(context, *known) : refresh(context, *known);
    if (!current.id.empty()) record(context, current);
    return current;
  }
  auto region = context.region_if_known();
  if (!region) return std::nullopt;
  auto adopted = find_in_cloud(context, *region, name);
  if (adopted) {
    context.log().info("adopting {} ({}) into the ledger", name, adopted->id);
    record(context, *adopted);
  }
  return adopted;
}

core::Machine require_machine(Context& context, const std::string& name) {
  auto machine = find_machine(context, name);
  if (!machine || machine->state == MachineState::terminated) {
    throw core::Fatal({core::ErrorKind::not_found, "no machine named '" + name + "'",
                       "see `gpunb ls`, or create it with `gpunb up " + name + "`"});
  }
  return *machine;
}

core::Machine require_running(Context& context, const std::string& name) {
  auto machine = require_machine(context, name);
  if (machine.state != core::MachineState::running) {
    throw core::Fatal({core::ErrorKind::refused, name + " is " + core::to_string(machine.state),
                       "start it with `gpunb start " + name + "`"});
  }
  return machine;
}

core::Machine wait_for_state(Context& context, core::Machine machine, MachineState target,
                             ProgressLine& progress, std::chrono::seconds timeout) {
  auto deadline = context.clock().monotonic() + timeout;
  auto delay = std::chrono::milliseconds(250);
  while (true) {
    machine = refresh(context, machine);
    record(context, machine);
    if (machine.state == target) return machine;
    if (!can_still_reach(machine.state, target)) {
      throw core::Fatal({core::ErrorKind::cloud,
                         fmt::format("{} became {} instead of {}", machine.name,
                                     core::to_string(machine.state), core::to_string(target))});
    }
    if (context.clock().monotonic() > deadline) {
      throw core::Fatal({core::ErrorKind::network,
                         fmt::format("{} is still {} after {}s", machine.name,
                                     core::to_string(machine.state), timeout.count()),
                         "check the EC2 console, then run the command again"});
    }
    progress.update(fmt::format("{} is {}", machine.name, core::to_string(machine.state)));
    throw_if_interrupted("the cloud goes on; run the command again to continue");
    context.clock().sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(3000));
  }
}

void wait_for_ssh(Context& context, const core::Machine& machine, ProgressLine& progress,
                  std::chrono::seconds timeout) {
  if (machine.public_ip.empty()) {
    throw core::Fatal({core::ErrorKind::network, machine.name + " has no public address",
                       "gpunb needs a public IPv4 address (default VPC with auto-assign)"});
  }
  auto deadline = context.clock().monotonic() + timeout;
  while (!net::probe_tcp(machine.public_ip, machine.ssh_port, std::chrono::seconds(3), "SSH-")) {
    if (context.clock().monotonic() > deadline) {
      throw core::Fatal({core::ErrorKind::network,
                         fmt::format("SSH on {} ({}) does not answer after {}s", machine.name,
                                     machine.public_ip, timeout.count()),
                         "check that --ssh-cidr covers your address"});
    }
    progress.update(fmt::format("waiting for SSH on {}", machine.public_ip));
    throw_if_interrupted("the machine keeps running; `gpunb start " + machine.name +
                         "` waits again");
    context.clock().sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace gpunb::app
