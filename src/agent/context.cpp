#include "agent/context.hpp"

#include "agent/files.hpp"

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
