// The jupyter.* ops: ensure, status, stop, restart, logs. The token leaves the agent only in
// the replies of ensure and restart.
#include "agent/host/files.hpp"
#include "agent/jupyter/server.hpp"
#include "agent/serve/dispatcher.hpp"
#include "base/expected.hpp"
#include "base/hash.hpp"

namespace gpunb::agent {
namespace {

Json started_reply(const ServerRecord& record, const std::string& token, bool reused) {
  return {{"port", record.port},
          {"token", token},
          {"kind", record.kind},
          {"reused", reused},
          {"supervisor", record.supervisor},
          {"pid", record.pid},
          {"workdir", record.workdir}};
}

// {"expose": {"port": P, "certfile"?, "keyfile"?}}: HTTPS on every address (gpunb up --expose).
std::optional<Exposure> exposure(const Json& request, const std::string& name) {
  if (!request.contains("expose") || !request["expose"].is_object()) return std::nullopt;
  const auto& expose = request["expose"];
  auto dir = std::string("~/.gpunb/jupyter/") + name;
  return Exposure{expose.value("port", 8443),
                  expand_home(expose.value("certfile", dir + ".crt")).string(),
                  expand_home(expose.value("keyfile", dir + ".key")).string()};
}

StartRequest start_request(const Json& request, const std::string& name, std::string token) {
  StartRequest start{name, request.value("workdir", "~/work/" + name), std::move(token),
                     request.value("supervisor", ""), std::chrono::seconds(60)};
  int limit = request.value("ready_within_s", 60);
  if (limit > 0 && limit <= 600) start.ready_within = std::chrono::seconds(limit);
  start.expose = exposure(request, name);
  return start;
}

Result<Json> ensure_op(Context& context, const Json& request) {
  auto name = required_name(request);
  TRY(name);
  auto files = jupyter_files(context, *name);
  auto record = read_record(files);
  auto token = read_token(files);
  bool wants_exposed = exposure(request, *name).has_value();
  if (record && token && record->exposed == wants_exposed && server_answers(*record, *token)) {
    context.log->add_secret(*token);
    context.log->write("jupyter " + *name + ": reusing pid " + std::to_string(record->pid));
    return started_reply(*record, *token, true);
  }
  if (record) (void)stop_server(context, *name);  // a stale record: clean up what is left
  auto started = start_server(context, start_request(request, *name, base::random_hex(32)));
  TRY(started);
  return started_reply(*started, *read_token(files), false);
}

Result<Json> status_op(Context& context, const Json& request) {
  auto name = required_name(request);
  TRY(name);
  auto files = jupyter_files(context, *name);
  auto record = read_record(files);
  auto token = read_token(files);
  if (!record) return Json{{"running", false}};
  Json reply = record_json(*record);
  reply["running"] = token && server_answers(*record, *token);
  return reply;
}

Result<Json> stop_op(Context& context, const Json& request) {
  auto name = required_name(request);
  TRY(name);
  auto stopped = stop_server(context, *name);
  TRY(stopped);
  return Json{{"stopped", *stopped}};
}

Result<Json> restart_op(Context& context, const Json& request) {
  auto name = required_name(request);
  TRY(name);
  auto files = jupyter_files(context, *name);
  auto record = read_record(files);
  Json merged = request;  // what the request leaves out comes from the running server
  if (record && !request.contains("workdir")) merged["workdir"] = record->workdir;
  if (record && !request.contains("supervisor")) merged["supervisor"] = record->supervisor;
  std::string token = read_token(files).value_or(base::random_hex(32));
  auto stopped = stop_server(context, *name);
  TRY(stopped);
  StartRequest start = start_request(merged, *name, token);
  start.preferred_port = record ? record->port : 0;
  auto started = start_server(context, start);
  TRY(started);
  return started_reply(*started, token, false);
}

Result<Json> logs_op(Context& context, const Json& request) {
  auto name = required_name(request);
  TRY(name);
  auto files = jupyter_files(context, *name);
  if (!std::filesystem::exists(files.log)) return fail(ErrorKind::not_found, "no log for " + *name);
  int lines = std::clamp(request.value("lines", 200), 1, 100000);
  return Json{{"text", redacted_log(files, static_cast<size_t>(lines))}};
}

}  // namespace

void register_jupyter_ops(Dispatcher& dispatcher) {
  dispatcher.add("jupyter.ensure", ensure_op);
  dispatcher.add("jupyter.status", status_op);
  dispatcher.add("jupyter.stop", stop_op);
  dispatcher.add("jupyter.restart", restart_op);
  dispatcher.add("jupyter.logs", logs_op);
}

}  // namespace gpunb::agent
