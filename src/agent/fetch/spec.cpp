#include "agent/fetch/spec.hpp"

#include "agent/fs/path.hpp"
#include "agent/host/files.hpp"
#include "base/expected.hpp"

namespace gpunb::agent {
namespace {

using Json = nlohmann::json;

template <typename T>
std::optional<T> optional_field(const Json& json, const char* field) {
  if (!json.contains(field) || json[field].is_null()) return std::nullopt;
  return json[field].get<T>();
}

Result<FetchItem> parse_item(const Json& json) {
  if (!json.is_object() || !json["url"].is_string())
    return fail(ErrorKind::usage, "item without url");
  FetchItem item{json["url"].get<std::string>(), json.value("name", std::string())};
  if (!item.name.empty()) {
    if (auto checked = check_relative_path(item.name); !checked)
      return fail(ErrorKind::usage, "unsafe file name in the job: " + item.name);
  }
  item.size = optional_field<std::uint64_t>(json, "size");
  item.md5 = optional_field<std::string>(json, "md5");
  item.sha256 = optional_field<std::string>(json, "sha256");
  return item;
}

void read_limits(const Json& json, data::ExtractLimits& limits) {
  if (!json.is_object()) return;
  limits.max_bytes = json.value("max_bytes", limits.max_bytes);
  limits.max_entries = json.value("max_entries", limits.max_entries);
  limits.max_ratio = json.value("max_ratio", limits.max_ratio);
}

Status read_items(const Json& json, FetchSpec& spec) {
  if (!json.contains("items")) return {};
  if (!json["items"].is_array()) return fail(ErrorKind::usage, "items must be a list");
  for (const auto& entry : json["items"]) {
    auto item = parse_item(entry);
    TRY(item);
    spec.items.push_back(std::move(*item));
  }
  return {};
}

// "url": one source the agent classifies itself: a Google Drive link, else HTTP(S).
Status read_url(const Json& json, FetchSpec& spec) {
  if (!json.contains("url")) return {};
  auto url = json["url"].get<std::string>();
  if (auto doc = data::gdocs_link(url)) {  // before Drive: an export link may carry id=
    spec.gdrive_id = doc->id;
    spec.doc = std::move(doc);
    return {};
  }
  if (data::is_gdrive_source(url)) {
    spec.gdrive_id = data::gdrive_file_id(url);
    if (!spec.gdrive_id) return fail(ErrorKind::usage, "no file ID in the Google Drive link");
    return {};
  }
  TRY(data::Url::parse(url));
  spec.items.push_back({url});
  return {};
}

}  // namespace

bool valid_fetch_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Result<FetchSpec> parse_fetch_spec(const Json& json) try {
  if (!json.is_object() || !json["id"].is_string() || !json["dir"].is_string())
    return fail(ErrorKind::usage, "a fetch job needs an id and a dir");
  FetchSpec spec;
  spec.id = json["id"].get<std::string>();
  if (!valid_fetch_id(spec.id)) return fail(ErrorKind::usage, "bad fetch id");
  spec.source = json.value("source", std::string());
  spec.dir = expand_home(json["dir"].get<std::string>()).lexically_normal();
  if (!spec.dir.is_absolute())
    return fail(ErrorKind::usage, "the fetch folder must be absolute or under ~");
  TRY(read_items(json, spec));
  TRY(read_url(json, spec));
  spec.gdrive = data::GdriveEndpoint::from_env();
  if (json.contains("gdrive_endpoint")) {
    spec.gdrive = data::GdriveEndpoint::at(json["gdrive_endpoint"].get<std::string>());
  }
  spec.sha256 = optional_field<std::string>(json, "sha256");
  spec.format = optional_field<std::string>(json, "format");
  if (spec.format && !spec.gdrive_id)
    return fail(ErrorKind::usage, "--format is for Google Docs, Sheets and Slides links only");
  spec.extract = json.value("extract", false);
  spec.connections = std::clamp(json.value("connections", 8), 1, 64);
  spec.parallel = std::clamp(json.value("parallel", 16), 1, 64);
  read_limits(json.value("limits", Json::object()), spec.limits);
  spec.ca_file = json.value("ca_file", std::string());
  if (spec.items.empty() && !spec.gdrive_id)
    return fail(ErrorKind::usage, "a fetch job with nothing to fetch");
  return spec;
} catch (const Json::exception& e) {
  return fail(ErrorKind::usage, std::string("malformed fetch job: ") + e.what());
}

}  // namespace gpunb::agent
