// `gpunb start`, `gpunb stop`, `gpunb down`.
#pragma once

#include <string>

#include "app/context.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

core::Machine start(Context& context, const std::string& name, bool no_connect);
core::Machine stop(Context& context, const std::string& name);

struct DownRequest {
  std::string name;
  bool yes = false;  // no question asked
};
core::Machine down(Context& context, const DownRequest& request);

}  // namespace gpunb::app
