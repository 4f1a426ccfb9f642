#include "agent/fetch/status.hpp"

#include <algorithm>
#include <system_error>

#include "agent/host/files.hpp"
#include "agent/host/process.hpp"
#include "base/files.hpp"

namespace gpunb::agent {

using Json = nlohmann::json;

Json status_json(const FetchStatus& s) {
  Json json{{"id", s.id},
            {"source", s.source},
            {"dir", s.dir},
            {"state", s.state},
            {"pid", s.pid},
            {"started", s.started},
            {"updated", s.updated},
            {"bytes", s.bytes},
            {"total", s.total},
            {"files", s.files},
            {"files_total", s.files_total},
            {"rate", s.rate},
            {"paths", s.paths}};
  json["extracted"] = {{"entries", s.extracted_entries}, {"bytes", s.extracted_bytes}};
  if (!s.error.empty())
    json["error"] = {{"kind", base::kind_name(s.error_kind)}, {"message", s.error}};
  if (!s.notes.empty()) json["notes"] = s.notes;
  return json;
}

std::optional<FetchStatus> status_from_json(const Json& json) try {
  FetchStatus s;
  s.id = json.at("id").get<std::string>();
  s.source = json.value("source", "");
  s.dir = json.value("dir", "");
  s.state = json.value("state", "running");
  s.pid = json.value("pid", 0);
  s.started = json.value("started", "");
  s.updated = json.value("updated", "");
  s.bytes = json.value("bytes", std::uint64_t{0});
  s.total = json.value("total", std::uint64_t{0});
  s.files = json.value("files", std::uint64_t{0});
  s.files_total = json.value("files_total", std::uint64_t{0});
  s.rate = json.value("rate", 0.0);
  s.paths = json.value("paths", std::vector<std::string>{});
  s.notes = json.value("notes", std::vector<std::string>{});
  if (json.contains("extracted")) {
    s.extracted_entries = json["extracted"].value("entries", std::uint64_t{0});
    s.extracted_bytes = json["extracted"].value("bytes", std::uint64_t{0});
  }
  if (json.contains("error")) {
    s.error = json["error"].value("message", "");
    s.error_kind =
        base::kind_from_name(json["error"].value("kind", "")).value_or(ErrorKind::internal);
  }
  return s;
} catch (const Json::exception&) {
  return std::nullopt;
}

std::filesystem::path fetch_dir(const std::filesystem::path& state) {
  return state / "fetch";
}

std::optional<FetchStatus> read_fetch_status(const std::filesystem::path& state,
                                             const std::string& id) {
  auto text = base::read_file(fetch_dir(state) / (id + ".json"));
  if (!text) return std::nullopt;
  auto status = status_from_json(Json::parse(*text, nullptr, false));
  if (status && status->state == "running" && !process_alive(status->pid)) {
    status->state = "failed";
    status->error_kind = ErrorKind::interrupted;
    status->error =
        "the fetch stopped before it finished (the machine restarted?): run it again to resume";
  }
  return status;
}

std::vector<FetchStatus> read_fetch_statuses(const std::filesystem::path& state) {
  std::vector<FetchStatus> all;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(fetch_dir(state), ec)) {
    auto name = entry.path().filename().string();
    if (entry.path().extension() != ".json" || name.find(".tmp") != std::string::npos) continue;
    if (auto status = read_fetch_status(state, entry.path().stem().string()))
      all.push_back(*status);
  }
  std::sort(all.begin(), all.end(),
            [](const FetchStatus& a, const FetchStatus& b) { return a.started > b.started; });
  return all;
}

}  // namespace gpunb::agent
