// The user's configuration: $XDG_CONFIG_HOME/gpunb/config.toml. Command-line flags win over it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "util/env.hpp"

namespace gpunb::core {

struct Config {
  std::optional<std::string> region;
  std::optional<std::string> profile;
  std::optional<std::string> ssh_cidr;  // validated: IPv4 a.b.c.d/n
  std::optional<std::string> ami;
  std::optional<std::string> user;
  std::vector<std::string> types;               // `type`: first choice, then fallbacks
  std::optional<int> disk_gb;                   // `disk`
  std::optional<int> autostop_minutes;          // `autostop`; 0 means off
  std::optional<long long> host_key_wait_s;     // `host_key_wait`: for the cloud's fingerprints
  std::optional<double> max_hours;              // `max_hours`: 0.01..720, or 0 (off)
  std::map<std::string, std::string> prices;    // [prices]: instance type -> dollars per hour
  std::map<std::string, std::string> machines;  // [machines.NAME] host = "user@addr[:port]"
  std::vector<std::string> unknown_keys;        // ignored; the CLI warns about them
};

std::filesystem::path config_path(const util::Env& env);

// A missing file gives an empty Config. Syntax errors and wrong types are usage errors naming
// FILE:LINE:COL and the key.
Result<Config> load_config(const std::filesystem::path& path);

// "a.b.c.d/n": four decimal octets 0..255 (no leading zeros) and a prefix length 0..32.
bool is_ipv4_cidr(std::string_view text);

// `max_hours`/--max-hours: hours 0.01..720 ("4", "0.5", "8h") or "off" (0).
Result<double> parse_max_hours(std::string_view text);

// "60m", "2h", "90" (minutes) or "off" (0). Shared by the config file and `--autostop`.
Result<int> parse_autostop(std::string_view text);

// "30m", "2h", "45s", "90" (minutes) or "off" (0), up to 30 days; nullopt when it is none of these.
std::optional<long long> parse_duration_s(std::string_view text);

}  // namespace gpunb::core
