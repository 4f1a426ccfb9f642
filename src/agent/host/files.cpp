#include "agent/host/files.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <vector>

#include "base/files.hpp"

namespace gpunb::agent {

static std::string home_from_passwd() {
  std::string uid = std::to_string(::getuid());
  std::istringstream lines(base::read_file("/etc/passwd").value_or(""));
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, ':');) fields.push_back(field);
    if (fields.size() >= 6 && fields[2] == uid) return fields[5];
  }
  return "/tmp";
}

std::string home_dir() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return home;
  return home_from_passwd();
}

std::filesystem::path expand_home(const std::string& path) {
  if (path == "~") return home_dir();
  if (path.rfind("~/", 0) == 0) return std::filesystem::path(home_dir()) / path.substr(2);
  return path;
}

}  // namespace gpunb::agent
