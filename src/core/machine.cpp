#include "core/machine.hpp"

namespace gpunb::core {

const char* to_string(MachineState state) {
  switch (state) {
    case MachineState::intent:
      return "launching";
    case MachineState::pending:
      return "pending";
    case MachineState::running:
      return "running";
    case MachineState::stopping:
      return "stopping";
    case MachineState::stopped:
      return "stopped";
    case MachineState::shutting_down:
      return "shutting-down";
    case MachineState::terminated:
      return "terminated";
    case MachineState::unknown:
      return "unknown";
  }
  return "unknown";
}

MachineState machine_state_from(const std::string& name) {
  if (name == "pending") return MachineState::pending;
  if (name == "running") return MachineState::running;
  if (name == "stopping") return MachineState::stopping;
  if (name == "stopped") return MachineState::stopped;
  if (name == "shutting-down") return MachineState::shutting_down;
  if (name == "terminated") return MachineState::terminated;
  if (name == "launching") return MachineState::intent;
  return MachineState::unknown;
}

bool is_live(MachineState state) {
  return state != MachineState::terminated && state != MachineState::intent;
}

}  // namespace gpunb::core
