// Access to the process environment behind a seam, so tests can give their own.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace gpunb::util {

class Env {
 public:
  virtual ~Env() = default;
  virtual std::optional<std::string> get(const std::string& name) const = 0;

  // Unset or empty both count as absent.
  std::string get_or(const std::string& name, const std::string& fallback) const;
  std::filesystem::path home() const;
  // XDG base directories: $XDG_X_HOME or the default under $HOME.
  std::filesystem::path config_home() const;
  std::filesystem::path state_home() const;
  std::filesystem::path cache_home() const;
};

class ProcessEnv : public Env {
 public:
  std::optional<std::string> get(const std::string& name) const override;
};

class MapEnv : public Env {
 public:
  explicit MapEnv(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  std::optional<std::string> get(const std::string& name) const override;

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace gpunb::util
