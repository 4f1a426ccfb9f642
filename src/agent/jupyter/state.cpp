#include "agent/jupyter/state.hpp"

#include <unistd.h>

#include "agent/host/files.hpp"
#include "agent/host/http.hpp"
#include "agent/host/process.hpp"
#include "base/files.hpp"
#include "base/log.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {

JupyterFiles jupyter_files(const Context& context, const std::string& name) {
  auto dir = context.jupyter_dir();
  return {dir / (name + ".json"), dir / (name + ".token"), dir / (name + ".sh"),
          dir / (name + ".pid"), dir / (name + ".log")};
}

nlohmann::json record_json(const ServerRecord& r) {
  return {{"port", r.port},
          {"pid", r.pid},
          {"kind", r.kind},
          {"supervisor", r.supervisor},
          {"started_at", r.started_at},
          {"workdir", r.workdir},
          {"exposed", r.exposed}};
}

std::optional<ServerRecord> read_record(const JupyterFiles& files) {
  auto text = base::read_file(files.record);
  if (!text) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(*text);
    return ServerRecord{j.at("port").get<int>(),         j.at("pid").get<pid_t>(),
                        j.at("kind").get<std::string>(), j.at("supervisor").get<std::string>(),
                        j.value("started_at", ""),       j.value("workdir", ""),
                        j.value("exposed", false)};
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged record counts as none: the server is started afresh
  }
}

Status write_record(const JupyterFiles& files, const ServerRecord& record) {
  return base::write_atomic(files.record, record_json(record).dump(2) + "\n", 0600);
}

void remove_record(const JupyterFiles& files) {
  ::unlink(files.record.c_str());
  ::unlink(files.pid.c_str());
}

std::optional<std::string> read_token(const JupyterFiles& files) {
  auto text = base::read_file(files.token);
  if (!text || base::trim(*text).empty()) return std::nullopt;
  return base::trim(*text);
}

Status write_token(const JupyterFiles& files, const std::string& token) {
  return base::write_atomic(files.token, token + "\n", 0600);
}

std::optional<pid_t> read_pid(const JupyterFiles& files) {
  auto text = base::read_file(files.pid);
  if (!text) return std::nullopt;
  int pid = std::atoi(base::trim(*text).c_str());
  return pid > 0 ? std::optional<pid_t>(pid) : std::nullopt;
}

bool server_answers(const ServerRecord& record, const std::string& token) {
  if (!process_alive(record.pid)) return false;
  if (record.exposed) return local_port_open(record.port);  // TLS: no plain GET possible
  auto reply = http_get_local(record.port, "/api/status", token, std::chrono::seconds(3));
  return reply && reply->status == 200;
}

std::string redacted_log(const JupyterFiles& files, size_t lines) {
  // Tail first (a token never spans lines), then redact: the log may be long.
  std::string text = base::last_lines(base::read_file(files.log).value_or(""), lines);
  base::Redactor redactor;  // the token itself, and any token=... in a URL
  if (auto token = read_token(files)) redactor.add_secret(*token);
  return redactor.redact(text);
}

}  // namespace gpunb::agent
