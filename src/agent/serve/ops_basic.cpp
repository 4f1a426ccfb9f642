// Ops about the agent and the machine: probe, shutdown.
#include "agent/serve/dispatcher.hpp"
#include "agent/serve/serve.hpp"

namespace gpunb::agent {
namespace {

Result<Json> probe_op(Context& context, const Json& request) {
  if (!context.probe || request.value("refresh", false)) context.probe = run_probe();
  return probe_json(*context.probe);
}

Result<Json> shutdown_op(Context& context, const Json& /*request*/) {
  context.stop = true;
  return Json::object();
}

Result<Json> version_op(Context& /*context*/, const Json& /*request*/) {
  return Json{{"version", version()}, {"protocol", kProtocol}};
}

}  // namespace

void register_basic_ops(Dispatcher& dispatcher) {
  dispatcher.add("probe", probe_op);
  dispatcher.add("shutdown", shutdown_op);
  dispatcher.add("version", version_op);
}

}  // namespace gpunb::agent
