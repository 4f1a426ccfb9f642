#include "agent/host/files.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

namespace gpunb::agent {

std::optional<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

static bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    content.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Status write_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  // A name nobody can guess, made afresh (O_EXCL) and never through a link (O_NOFOLLOW): a file
  // or link planted beside PATH is never written through.
  std::string temp = path.string() + ".tmp-" + random_hex(8);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    return fail(ErrorKind::internal, "cannot write " + temp + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    return fail(ErrorKind::internal, "cannot write " + path.string() + ": " + why);
  }
  return {};
}

Status make_dirs(const std::filesystem::path& dir, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorKind::internal, "cannot create " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), mode) != 0) {
    return fail(ErrorKind::internal, "cannot chmod " + dir.string() + ": " + std::strerror(errno));
  }
  return {};
}

static std::string home_from_passwd() {
  std::string uid = std::to_string(::getuid());
  std::istringstream lines(read_text("/etc/passwd").value_or(""));
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

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) std::abort();  // no randomness: never fall back to a weak token
    got += static_cast<size_t>(n);
  }
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::array<char, 32> stamp{};
  std::strftime(stamp.data(), stamp.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return stamp.data();
}

std::string last_lines(std::string_view text, size_t lines) {
  if (lines == 0) return {};
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  size_t pos = text.size();
  for (size_t seen = 0; seen < lines; ++seen) {
    size_t nl = text.rfind('\n', pos == 0 ? 0 : pos - 1);
    if (nl == std::string_view::npos || pos == 0) return std::string(text);
    pos = nl;
  }
  return std::string(text.substr(pos + 1));
}

std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

}  // namespace gpunb::agent
