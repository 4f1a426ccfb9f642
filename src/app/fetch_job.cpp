#include "app/fetch_job.hpp"

#include "base/strings.hpp"

namespace gpunb::app {
namespace {

using Json = nlohmann::json;

// The source as shown to humans and written to the machine's status file: no query string
// (presigned URLs and some share links carry credentials there).
std::string display_source(const std::string& source) {
  return source.substr(0, source.find('?'));
}

Json limits(const FetchRequest& request) {
  Json json = Json::object();
  if (request.max_extract_size) json["max_bytes"] = *request.max_extract_size;
  if (request.max_extract_entries) json["max_entries"] = *request.max_extract_entries;
  if (request.max_extract_ratio) json["max_ratio"] = *request.max_extract_ratio;
  return json;
}

}  // namespace

Json fetch_job(Context& context, const FetchRequest& request, const std::string& dir) {
  Json job{{"source", display_source(request.source)},
           {"dir", dir},
           {"extract", request.extract},
           {"connections", request.connections},
           {"limits", limits(request)}};
  if (request.sha256) job["sha256"] = base::to_lower(*request.sha256);
  if (request.format) job["format"] = *request.format;
  if (request.source.starts_with("s3://")) {
    job["items"] = s3_job_items(context, request);
  } else {
    job["url"] = request.source;
  }
  if (auto endpoint = context.env().get("GPUNB_GDRIVE_ENDPOINT"))
    job["gdrive_endpoint"] = *endpoint;
  return job;
}

}  // namespace gpunb::app
