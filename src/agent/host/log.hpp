// The agent's own log, ~/.gpunb/agent.log: one timestamped line per event, secrets redacted.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gpunb::agent {

class Log {
 public:
  explicit Log(const std::filesystem::path& path);  // appends; a log that cannot open is silent
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  ~Log();
  void add_secret(const std::string& secret);
  void write(std::string_view line);

 private:
  std::FILE* file_ = nullptr;
  std::vector<std::string> secrets_;
};

}  // namespace gpunb::agent
