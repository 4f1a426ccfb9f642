// Finding a machine by name (ledger first, then the cloud's tags) and waiting on its state.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "app/context.hpp"
#include "app/progress.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

// The machine called `name`: the ledger's record refreshed from the cloud, or a gpunb-tagged
// instance the ledger does not know (adopted into the ledger). nullopt when neither has it.
std::optional<core::Machine> find_machine(Context& context, const std::string& name);
core::Machine require_machine(Context& context, const std::string& name);
// The same, refused unless it is running ("start it with `gpunb start NAME`").
core::Machine require_running(Context& context, const std::string& name);

// Polls until the machine reaches `target` (or a state from which it never will).
core::Machine wait_for_state(Context& context, core::Machine machine, core::MachineState target,
                             ProgressLine& progress,
                             std::chrono::seconds timeout = std::chrono::minutes(15));

// Waits until the machine's SSH port greets ("SSH-") within the deadline.
void wait_for_ssh(Context& context, const core::Machine& machine, ProgressLine& progress,
                  std::chrono::seconds timeout = std::chrono::minutes(5));

// Stores the machine and, when the state changed, an event.
void record(Context& context, const core::Machine& machine);

}  // namespace gpunb::app
