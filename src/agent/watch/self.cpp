#include "agent/watch/self.hpp"

#include "agent/host/files.hpp"
#include "base/files.hpp"
#include "data/net/http.hpp"

namespace gpunb::agent {

using Json = nlohmann::json;

std::optional<SelfUrls> self_urls_from(const Json& request, Seconds now) {
  auto self = request.value("self", Json());
  if (!self.is_object()) return std::nullopt;
  try {
    SelfUrls urls;
    urls.terminate = self.value("terminate", std::string());
    urls.stopped_by = self.value("stopped_by", std::map<std::string, std::string>{});
    auto expires = self.value("expires_s", Seconds{0});
    urls.expires_at = expires > 0 ? now + expires : 0;
    return urls;
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

Status write_self_urls(const std::filesystem::path& path, const SelfUrls& urls) {
  Json json{{"terminate", urls.terminate},
            {"stopped_by", urls.stopped_by},
            {"expires_at", urls.expires_at}};
  return base::write_atomic(path, json.dump() + "\n", 0600);
}

std::optional<SelfUrls> read_self_urls(const std::filesystem::path& path) {
  auto text = base::read_file(path);
  auto json = text ? Json::parse(*text, nullptr, false) : Json();
  if (!json.is_object()) return std::nullopt;
  try {
    SelfUrls urls;
    urls.terminate = json.value("terminate", std::string());
    urls.stopped_by = json.value("stopped_by", std::map<std::string, std::string>{});
    urls.expires_at = json.value("expires_at", Seconds{0});
    return urls;
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

Status call_self_url(const std::string& url, const std::string& action) {
  auto parsed = data::Url::parse(url);
  if (!parsed) return fail(ErrorKind::usage, action + ": the presigned URL is not valid");
  data::HttpOptions options;
  options.connect_timeout = std::chrono::seconds(15);
  options.idle_timeout = std::chrono::seconds(30);
  data::HttpClient client(options);
  data::HttpRequest request;
  request.url = *parsed;
  auto reply = client.get_text(request, 1 << 20);
  if (!reply) return fail(reply.error().kind, action + ": " + reply.error().message);
  return check_self_reply(reply->first.status, reply->second, action);
}

Status check_self_reply(int status, const std::string& body, const std::string& action) {
  if (status == 200 && body.find("<" + action + "Response") != std::string::npos) return {};
  auto code_at = body.find("<Code>");
  auto code = code_at == std::string::npos
                  ? std::string()
                  : body.substr(code_at + 6, body.find("</Code>", code_at) - code_at - 6);
  return fail(ErrorKind::refused, action + " refused (HTTP " + std::to_string(status) +
                                      (code.empty() ? "" : ", " + code) + ")");
}

}  // namespace gpunb::agent
