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

}  // namespace gpunb::app
