#include "agent/host/context.hpp"

#include "agent/host/files.hpp"
#include "base/files.hpp"

namespace gpunb::agent {

Context make_context() {
  Context context;
  context.home = home_dir();
  context.state = context.home / ".gpunb";
  (void)base::make_dirs(context.state, 0700);
  context.log = base::Logger::append_to(context.state / "agent.log");
  return context;
}

}  // namespace gpunb::agent
