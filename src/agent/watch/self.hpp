// What the watcher may do to its own instance without credentials: the presigned URLs the laptop
// hands over with watch.configure (TerminateInstances, and CreateTags gpunb:stopped-by=WHY),
// kept in ~/.gpunb/self.json (0600, never in watch.json, whose settings travel back in replies).
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/watch/idle_policy.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

struct SelfUrls {
  std::string terminate;
  std::map<std::string, std::string> stopped_by;  // "autodown", "max-hours" -> URL
  Seconds expires_at = 0;                         // machine clock; 0: unknown
};

// From a watch.configure request ("self": {"terminate", "stopped_by", "expires_s"}); nullopt
// when it carries none.
std::optional<SelfUrls> self_urls_from(const nlohmann::json& request, Seconds now);
Status write_self_urls(const std::filesystem::path& path, const SelfUrls& urls);
std::optional<SelfUrls> read_self_urls(const std::filesystem::path& path);

// Calls one of the URLs (GET) and checks that EC2 answered ACTION's response; the failure says
// why in one line without the URL's query (it carries a signature).
Status call_self_url(const std::string& url, const std::string& action);
// EC2's answer to it: ACTION's response with HTTP 200, else a failure naming the error code.
Status check_self_reply(int status, const std::string& body, const std::string& action);

}  // namespace gpunb::agent
