#include "util/log.hpp"

#include <array>
#include <regex>

#include "util/text.hpp"

namespace gpunb::util {

void Redactor::add_secret(std::string secret) {
  if (secret.size() >= 4) secrets_.push_back(std::move(secret));
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : secrets_) {
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at)) {
      out.replace(at, secret.size(), "***");
    }
  }
  static const std::array<std::regex, 2> patterns = {
      std::regex(
          R"(((?:[?&]|\b)(?:token|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s"']+)",
          std::regex::icase),
      std::regex(R"(((?:Authorization|X-Amz-Security-Token|Signature)[:=]\s*)[^\s,"']+)",
                 std::regex::icase),
  };
  for (const auto& pattern : patterns) out = std::regex_replace(out, pattern, "$1***");
  return out;
}

void Logger::write(LogLevel level, std::string_view line) const {
  static constexpr std::array<const char*, 4> names = {"debug", "info", "warning", "error"};
  auto index = static_cast<size_t>(level);
  if (index >= names.size()) return;
  fmt::print(sink_, "gpunb: {}: {}\n", names[index], printable(redactor_.redact(line)));
}

}  // namespace gpunb::util
