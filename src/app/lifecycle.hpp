// `gpunb start`, `gpunb stop`, `gpunb down`.
#pragma once

#include <string>

#include "app/context.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

core::Machine start(Context& context, const std::string& name, bool no_connect);
// Both pull the workspace first and refuse to go on when the pull fails or leaves conflicts,
// unless `force`.
core::Machine stop(Context& context, const std::string& name, bool force = false);

struct DownRequest {
  std::string name;
  bool yes = false;    // no question asked
  bool force = false;  // go on without pulling the work home
};
core::Machine down(Context& context, const DownRequest& request);

// --autodown found unpulled work and stopped the machine (disk kept) instead of terminating it:
// the next command that pulls starts it, pulls, then terminates it (asking on a terminal).
bool autodown_pending(const core::Machine& machine);
// NAME, running, for a sync: started first when autodown_pending and the sync pulls (then
// `autodown` is set: finish_autodown follows a clean pull); else it must be running.
struct SyncTarget {
  core::Machine machine;
  bool autodown = false;
};
SyncTarget running_for_sync(Context& context, const std::string& name, bool pulls);
// After a clean pull of an autodown_pending machine: terminated (on a terminal: once confirmed).
void finish_autodown(Context& context, const std::string& name);

}  // namespace gpunb::app
