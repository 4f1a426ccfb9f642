#include "remote/jupyter.hpp"

#include "base/expected.hpp"

namespace gpunb::remote {
namespace {

using Json = nlohmann::json;
constexpr std::chrono::seconds kStartTimeout{150};  // probe + stop (15 s) + 60 s to answer

core::Result<JupyterServer> server_from(const core::Result<Json>& reply) {
  TRY(reply);
  try {
    return JupyterServer{reply->at("port").get<int>(), reply->at("token").get<std::string>(),
                         reply->at("kind").get<std::string>(), reply->at("reused").get<bool>(),
                         reply->at("supervisor").get<std::string>()};
  } catch (const Json::exception&) {
    return core::fail(core::ErrorKind::internal, "gpunb-agent sent an incomplete Jupyter reply");
  }
}

Json name_args(const std::string& name, const std::string& workdir) {
  Json args{{"name", name}};
  if (!workdir.empty()) args["workdir"] = workdir;
  return args;
}

}  // namespace

core::Result<JupyterServer> ensure_jupyter(Agent& agent, const std::string& name,
                                           const std::string& workdir) {
  return server_from(agent.call("jupyter.ensure", name_args(name, workdir), kStartTimeout));
}

core::Result<JupyterServer> ensure_exposed_jupyter(Agent& agent, const std::string& name,
                                                   const std::string& workdir,
                                                   const Exposure& exposure) {
  auto args = name_args(name, workdir);
  nlohmann::json expose = {{"port", exposure.port}};
  if (!exposure.certfile.empty()) expose["certfile"] = exposure.certfile;
  if (!exposure.keyfile.empty()) expose["keyfile"] = exposure.keyfile;
  args["expose"] = expose;
  return server_from(agent.call("jupyter.ensure", args, kStartTimeout));
}

core::Result<JupyterServer> restart_jupyter(Agent& agent, const std::string& name,
                                            const std::string& workdir) {
  return server_from(agent.call("jupyter.restart", name_args(name, workdir), kStartTimeout));
}

core::Result<JupyterStatus> jupyter_status(Agent& agent, const std::string& name) {
  auto reply = agent.call("jupyter.status", {{"name", name}});
  TRY(reply);
  return JupyterStatus{reply->value("running", false), reply->value("port", 0),
                       reply->value("kind", ""),       reply->value("pid", 0),
                       reply->value("started_at", ""), reply->value("supervisor", "")};
}

core::Result<bool> stop_jupyter(Agent& agent, const std::string& name) {
  auto reply = agent.call("jupyter.stop", {{"name", name}}, std::chrono::seconds(60));
  TRY(reply);
  return reply->value("stopped", false);
}

core::Result<std::string> jupyter_logs(Agent& agent, const std::string& name, int lines) {
  auto reply = agent.call("jupyter.logs", {{"name", name}, {"lines", lines}});
  TRY(reply);
  return reply->value("text", "");
}

}  // namespace gpunb::remote
