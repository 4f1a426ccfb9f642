#include "util/env.hpp"

#include <cstdlib>

namespace gpunb::util {

std::string Env::get_or(const std::string& name, const std::string& fallback) const {
  auto value = get(name);
  return value && !value->empty() ? *value : fallback;
}

std::filesystem::path Env::home() const {
  return get_or("HOME", "/");
}

std::filesystem::path Env::config_home() const {
  return get_or("XDG_CONFIG_HOME", (home() / ".config").string());
}

std::filesystem::path Env::state_home() const {
  return get_or("XDG_STATE_HOME", (home() / ".local/state").string());
}

std::filesystem::path Env::cache_home() const {
  return get_or("XDG_CACHE_HOME", (home() / ".cache").string());
}

std::optional<std::string> ProcessEnv::get(const std::string& name) const {
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::optional<std::string> MapEnv::get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

}  // namespace gpunb::util
