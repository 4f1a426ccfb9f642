#include "agent/serve/dispatcher.hpp"

#include "base/strings.hpp"

namespace gpunb::agent {

void Dispatcher::add(const std::string& op, Handler handler) {
  handlers_[op] = std::move(handler);
}

static Json error_reply(const Json& id, const Error& failure) {
  return Json{{"id", id},
              {"ok", false},
              {"error", failure.message},
              {"kind", base::kind_name(failure.kind)}};
}

Json Dispatcher::handle(Context& context, const Json& request) {
  Json id = request.contains("id") ? request["id"] : Json(nullptr);
  if (!request.contains("op") || !request["op"].is_string()) {
    return error_reply(id, {ErrorKind::usage, "request without an \"op\""});
  }
  std::string op = request["op"];
  auto handler = handlers_.find(op);
  if (handler == handlers_.end()) return error_reply(id, {ErrorKind::usage, "unknown op: " + op});
  context.log->write("op " + op);
  Result<Json> result = handler->second(context, request);
  if (!result) {
    context.log->write("op " + op + " failed (" +
                       std::string(base::kind_name(result.error().kind)) +
                       "): " + result.error().message);
    return error_reply(id, result.error());
  }
  Json reply = result->is_object() ? *result : Json::object();
  reply["id"] = id;
  reply["ok"] = true;
  return reply;
}

std::string Dispatcher::handle_line(Context& context, const std::string& line) {
  try {
    Json request = Json::parse(line);
    if (!request.is_object())
      return error_reply(nullptr, {ErrorKind::usage, "request is not an object"}).dump();
    return handle(context, request).dump();
  } catch (const Json::parse_error&) {
    return error_reply(nullptr, {ErrorKind::usage, "request is not JSON"}).dump();
  } catch (const std::exception& e) {
    return error_reply(nullptr, {ErrorKind::internal, e.what()}).dump();
  }
}

Dispatcher make_dispatcher() {
  Dispatcher dispatcher;
  register_basic_ops(dispatcher);
  register_jupyter_ops(dispatcher);
  register_fs_ops(dispatcher);
  register_watch_ops(dispatcher);
  register_fetch_ops(dispatcher);
  return dispatcher;
}

Result<std::string> required_string(const Json& request, const char* field) {
  if (!request.contains(field) || !request[field].is_string() ||
      request[field].get<std::string>().empty()) {
    return fail(ErrorKind::usage, std::string("missing string field \"") + field + "\"");
  }
  return request[field].get<std::string>();
}

Result<std::string> required_name(const Json& request) {
  auto name = required_string(request, "name");
  if (name && !base::valid_name(*name)) {
    return fail(ErrorKind::usage, "invalid name (letters, digits, '_' and '-', at most 64)");
  }
  return name;
}

}  // namespace gpunb::agent
