// Logging that cannot leak: every line passes through a Redactor first. The CLI logs to stderr,
// the agent to ~/.gpunb/agent.log (timestamped lines); both through this one Logger.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gpunb::base {

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
  // "gpunb: LEVEL: line" on SINK (the CLI's stderr), lines below LEVEL dropped.
  Logger(std::FILE* sink, LogLevel level) : sink_(sink), level_(level) {}
  // "2024-05-01T12:00:00Z [PID] line" appended to PATH (made 0600), every line kept. A file that
  // cannot be opened makes a silent log: the agent's work never fails for its log.
  static std::unique_ptr<Logger> append_to(const std::filesystem::path& path);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();
  void add_secret(std::string secret) { redactor_.add_secret(std::move(secret)); }
  void write(std::string_view line) const { write(LogLevel::info, line); }
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
  struct FileSink {};
  Logger(FileSink, std::FILE* file);

  std::FILE* sink_;
  LogLevel level_;
  bool file_ = false;  // an appended log file: owned, timestamped
  Redactor redactor_;
};

}  // namespace gpunb::base
