#include "agent/host/context.hpp"

#include "agent/host/files.hpp"

namespace gpunb::agent {

Context make_context() {
  Context context;
  context.home = home_dir();
  context.state = context.home / ".gpunb";
  (void)make_dirs(context.state, 0700);
  context.log = std::make_unique<Log>(context.state / "agent.log");
  return context;
}

}  // namespace gpunb::agent
