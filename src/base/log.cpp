#include "base/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <regex>

#include "base/clock.hpp"
#include "base/text.hpp"

namespace gpunb::base {

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

Logger::Logger(FileSink, std::FILE* file) : sink_(file), level_(LogLevel::debug), file_(true) {}

std::unique_ptr<Logger> Logger::append_to(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (file != nullptr) ::fchmod(::fileno(file), 0600);
  return std::unique_ptr<Logger>(new Logger(FileSink{}, file));
}

Logger::~Logger() {
  if (file_ && sink_ != nullptr) std::fclose(sink_);
}

void Logger::write(LogLevel level, std::string_view line) const {
  static constexpr std::array<const char*, 4> names = {"debug", "info", "warning", "error"};
  auto index = static_cast<size_t>(level);
  if (sink_ == nullptr || index >= names.size()) return;
  std::string text = printable(redactor_.redact(line));
  if (!file_) {
    fmt::print(sink_, "gpunb: {}: {}\n", names[index], text);
    return;
  }
  fmt::print(sink_, "{} [{}] {}\n", utc_now(), static_cast<int>(::getpid()), text);
  std::fflush(sink_);
}

}  // namespace gpunb::base
