#include "agent/host/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "agent/host/files.hpp"

namespace gpunb::agent {

Log::Log(const std::filesystem::path& path) {
  file_ = std::fopen(path.c_str(), "ae");
  if (file_ != nullptr) ::fchmod(::fileno(file_), 0600);
}

Log::~Log() {
  if (file_ != nullptr) std::fclose(file_);
}

void Log::add_secret(const std::string& secret) {
  if (!secret.empty()) secrets_.push_back(secret);
}

void Log::write(std::string_view line) {
  if (file_ == nullptr) return;
  std::string text(line);
  for (const auto& secret : secrets_) text = redact(text, secret);
  std::fprintf(file_, "%s [%d] %s\n", utc_now().c_str(), static_cast<int>(::getpid()),
               text.c_str());
  std::fflush(file_);
}

}  // namespace gpunb::agent
