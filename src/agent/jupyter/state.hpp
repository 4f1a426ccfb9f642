// The files behind one named Jupyter, all in ~/.gpunb/jupyter/: NAME.json (what runs, 0600),
// NAME.token (0600), NAME.sh (the launcher, no secret), NAME.pid (written by the launcher),
// NAME.log.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/host/context.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

struct JupyterFiles {
  std::filesystem::path record, token, launcher, pid, log;
};
JupyterFiles jupyter_files(const Context& context, const std::string& name);

struct ServerRecord {
  int port = 0;
  pid_t pid = 0;
  std::string kind;        // lab | notebook | server
  std::string supervisor;  // tmux | screen | nohup
  std::string started_at;  // ISO 8601, UTC
  std::string workdir;
  bool exposed = false;  // HTTPS on every address (--expose): checked by its open port
};

nlohmann::json record_json(const ServerRecord& record);
std::optional<ServerRecord> read_record(const JupyterFiles& files);
Status write_record(const JupyterFiles& files, const ServerRecord& record);
void remove_record(const JupyterFiles& files);

std::optional<std::string> read_token(const JupyterFiles& files);
Status write_token(const JupyterFiles& files, const std::string& token);
std::optional<pid_t> read_pid(const JupyterFiles& files);

// The process lives AND GET /api/status with the token answers 200.
bool server_answers(const ServerRecord& record, const std::string& token);
// The log's last LINES lines with the token (and any "token=..." value) replaced by "***".
std::string redacted_log(const JupyterFiles& files, size_t lines);

}  // namespace gpunb::agent
