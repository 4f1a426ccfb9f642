#include "agent/watch/spot.hpp"

#include <cstdlib>

namespace gpunb::agent {

std::string imds_endpoint(const std::string& setting) {
  if (!setting.empty()) return setting;
  const char* env = std::getenv("GPUNB_IMDS_ENDPOINT");
  return env != nullptr && *env != '\0' ? env : "http://169.254.169.254";
}

std::optional<std::string> SpotWatch::token(Seconds now, const Endpoint& endpoint) {
  if (!token_.empty() && now < token_until_) return token_;
  HttpCall call{"PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}};
  call.timeout = std::chrono::milliseconds(1000);
  auto reply = http_call(endpoint, call);
  if (!reply || reply->status != 200 || reply->body.empty()) return std::nullopt;
  token_ = reply->body;
  token_until_ = now + 21600 - 60;
  return token_;
}

std::optional<nlohmann::json> SpotWatch::poll(Seconds now) {
  if (noticed_ || now < next_) return std::nullopt;
  next_ = now + 10;  // unless the service answers: a notice gives two minutes, never wait long
  auto endpoint = parse_endpoint(endpoint_);
  if (!endpoint) return std::nullopt;
  auto session = token(now, *endpoint);
  if (!session) return std::nullopt;
  HttpCall call{
      "GET", "/latest/meta-data/spot/instance-action", {{"X-aws-ec2-metadata-token", *session}}};
  call.timeout = std::chrono::milliseconds(1000);
  auto reply = http_call(*endpoint, call);
  if (!reply) return std::nullopt;
  next_ = now + 5;
  if (reply->status == 401) token_.clear();
  if (reply->status != 200) return std::nullopt;
  auto notice = nlohmann::json::parse(reply->body, nullptr, false);
  if (!notice.is_object()) notice = nlohmann::json{{"raw", reply->body}};
  noticed_ = true;
  return notice;
}

std::string url_path(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::vector<std::string> checkpoint_notebooks(const std::vector<OpenNotebook>& notebooks) {
  std::vector<std::string> saved;
  for (const auto& notebook : notebooks) {
    HttpCall call{"POST",
                  "/api/contents/" + url_path(notebook.path) + "/checkpoints",
                  {{"Authorization", "token " + notebook.token}}};
    call.timeout = std::chrono::milliseconds(10000);
    auto reply = http_call({"127.0.0.1", notebook.port}, call);
    if (reply && reply->status == 201) saved.push_back(notebook.path);
  }
  return saved;
}

}  // namespace gpunb::agent
