// Google Drive links to file IDs, and the first request for a file. The pages Google answers with
// are read in gdrive_page.cpp.
#include "agent/fetch/gdrive.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

#include "agent/fetch/google_link.hpp"
#include "agent/fetch/html_form.hpp"

namespace gpunb::data {

namespace {

// A Drive link cut into its parts; only Google Drive's own hosts qualify.
struct DriveLink {
  std::string host;
  std::vector<std::string_view> segments;  // the path's non-empty segments
  std::string_view query;
};

std::optional<DriveLink> split_link(std::string_view source) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (ascii_lower(source.substr(0, scheme.size())) == scheme) source.remove_prefix(scheme.size());
  }
  source = source.substr(0, source.find('#'));
  auto host_end = source.find_first_of("/?");
  DriveLink link{ascii_lower(source.substr(0, host_end)), {}, {}};
  if (link.host != "drive.google.com" && link.host != "docs.google.com" &&
      link.host != "drive.usercontent.google.com")
    return std::nullopt;
  auto rest = host_end == std::string_view::npos ? std::string_view() : source.substr(host_end);
  auto question = rest.find('?');
  link.segments = path_segments(rest.substr(0, question));
  if (question != std::string_view::npos) link.query = rest.substr(question + 1);
  return link;
}

// /file/d/ID/..., /file/u/0/d/ID/...: the segment after "d" under "file".
std::optional<std::string> path_id(const std::vector<std::string_view>& segments) {
  if (segments.empty() || segments[0] != "file") return std::nullopt;
  auto d = std::find(segments.begin(), segments.end(), "d");
  if (d == segments.end() || d + 1 == segments.end() || !is_google_id(*(d + 1)))
    return std::nullopt;
  return std::string(*(d + 1));
}

std::string without_trailing_slash(std::string text) {
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

}  // namespace

std::optional<std::string> gdrive_file_id(std::string_view source) {
  if (is_google_id(source)) return std::string(source);
  auto link = split_link(source);
  if (!link) return std::nullopt;
  if (auto id = path_id(link->segments)) return id;
  auto id = query_value(link->query, "id");
  if (id && is_google_id(*id)) return id;
  return std::nullopt;
}

bool is_gdrive_source(std::string_view source) {
  return gdrive_file_id(source).has_value();
}

std::optional<std::string> gdrive_resource_key(std::string_view source) {
  auto link = split_link(source);
  if (!link) return std::nullopt;
  auto key = query_value(link->query, "resourcekey");
  if (!key || key->empty() || !std::all_of(key->begin(), key->end(), is_google_id_char))
    return std::nullopt;
  return key;
}

GdriveEndpoint GdriveEndpoint::from_env() {
  GdriveEndpoint endpoint;
  const char* value = std::getenv("GPUNB_GDRIVE_ENDPOINT");  // NOLINT(concurrency-mt-unsafe)
  if (value != nullptr && *value != '\0') return at(value);
  return endpoint;
}

GdriveEndpoint GdriveEndpoint::at(const std::string& base) {
  auto trimmed = without_trailing_slash(base);
  return {trimmed, trimmed, trimmed};
}

HttpRequest gdrive_request(const GdriveEndpoint& endpoint, const std::string& id,
                           const std::optional<std::string>& resource_key) {
  std::vector<std::pair<std::string, std::string>> fields{{"id", id}, {"export", "download"}};
  if (resource_key) fields.emplace_back("resourcekey", *resource_key);
  HttpRequest request;
  auto text = without_trailing_slash(endpoint.usercontent) + "/download?" + form_encode(fields);
  if (auto url = Url::parse(text)) request.url = std::move(*url);
  return request;
}

}  // namespace gpunb::data
