#include "agent/watch/signals.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "agent/host/http.hpp"
#include "agent/host/process.hpp"
#include "agent/jupyter/state.hpp"
#include "base/strings.hpp"

namespace gpunb::agent {
namespace {

using Json = nlohmann::json;

Json get_json(int port, const std::string& token, const std::string& path) {
  auto reply = http_get_local(port, path, token, std::chrono::milliseconds(3000));
  if (!reply || reply->status != 200) return Json::array();
  auto json = Json::parse(reply->body, nullptr, false);
  return json.is_array() ? json : Json::array();
}

void note_activity(JupyterActivity& out, const Json& item) {
  if (!item.is_object()) return;
  if (item.value("execution_state", "") == "busy") out.executing = true;
  auto when = parse_iso_time(item.value("last_activity", ""));
  if (when && (!out.last_activity || *when > *out.last_activity)) out.last_activity = when;
}

void sample_server(JupyterActivity& out, int port, const std::string& token) {
  out.ports.insert(port);
  for (const auto& kernel : get_json(port, token, "/api/kernels")) note_activity(out, kernel);
  for (const auto& terminal : get_json(port, token, "/api/terminals")) note_activity(out, terminal);
  for (const auto& session : get_json(port, token, "/api/sessions")) {
    if (!session.is_object()) continue;
    if (session.contains("kernel")) note_activity(out, session["kernel"]);
    std::string path = session.value("path", "");
    if (session.value("type", "notebook") == "notebook" && path.ends_with(".ipynb"))
      out.notebooks.push_back({port, token, path});
  }
}

}  // namespace

JupyterActivity sample_jupyter(const std::filesystem::path& state_dir) {
  JupyterActivity out;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir / "jupyter", error)) {
    if (entry.path().extension() != ".json") continue;
    Context probe;  // jupyter_files only needs the state folder
    probe.state = state_dir;
    auto files = jupyter_files(probe, entry.path().stem().string());
    auto record = read_record(files);
    auto token = read_token(files);
    if (record && token && process_alive(record->pid)) sample_server(out, record->port, *token);
  }
  return out;
}

std::optional<double> parse_gpu_percent(const std::string& output) {
  std::optional<double> highest;
  for (const auto& line : base::split(output, '\n')) {
    double value = 0;
    if (std::sscanf(base::trim(line).c_str(), "%lf", &value) != 1) continue;
    if (!highest || value > *highest) highest = value;
  }
  return highest;
}

std::optional<double> sample_gpu() {
  if (!find_program("nvidia-smi")) return std::nullopt;
  auto done =
      run_command({{"nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"},
                   {},
                   {},
                   std::chrono::milliseconds(10000)});
  if (!done || done->exit_code != 0) return std::nullopt;
  return parse_gpu_percent(done->output);
}

std::optional<Seconds> sample_ptys() {
  std::optional<Seconds> newest;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/pts", error)) {
    auto name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0 || st.st_uid != ::getuid()) continue;
    Seconds when = std::max(st.st_atime, st.st_mtime);
    if (!newest || when > *newest) newest = when;
  }
  return newest;
}

std::optional<Seconds> parse_iso_time(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  Seconds when = ::timegm(&tm);
  std::string zone = text.substr(static_cast<size_t>(consumed));
  if (auto dot = zone.find_first_not_of("0123456789."); dot != std::string::npos)
    zone = zone.substr(dot);
  int hours = 0, minutes = 0;
  if ((zone.starts_with("+") || zone.starts_with("-")) &&
      std::sscanf(zone.c_str() + 1, "%2d:%2d", &hours, &minutes) == 2) {
    Seconds offset = hours * 3600 + minutes * 60;
    when += zone[0] == '+' ? -offset : offset;
  }
  return when;
}

}  // namespace gpunb::agent
