// Logging that cannot leak: every line passes through a Redactor first.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace gpunb::util {

// Replaces registered secrets, and the values of secret-looking URL parameters and headers
// (token, X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token, Authorization), with "***".
class Redactor {
 public:
  void add_secret(std::string secret);
  std::string redact(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;
};

enum class LogLevel { debug, info, warn, error, quiet };

class Logger {
 public:
  Logger(std::FILE* sink, LogLevel level) : sink_(sink), level_(level) {}
  Redactor& redactor() { return redactor_; }
  const Redactor& redactor_const() const { return redactor_; }
  void set_level(LogLevel level) { level_ = level; }
  bool enabled(LogLevel level) const { return level >= level_ && level_ != LogLevel::quiet; }
  void write(LogLevel level, std::string_view line) const;

  template <typename... Args>
  void debug(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(LogLevel::debug))
      write(LogLevel::debug, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(LogLevel::info))
      write(LogLevel::info, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(LogLevel::warn))
      write(LogLevel::warn, fmt::format(format, std::forward<Args>(args)...));
  }

 private:
  std::FILE* sink_;
  LogLevel level_;
  Redactor redactor_;
};

}  // namespace gpunb::util
