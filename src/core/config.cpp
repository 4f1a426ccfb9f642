#include "core/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"

namespace gpunb::core {

namespace {

constexpr int kMaxDiskGb = 65536;
constexpr int kMaxAutostopMinutes = 30 * 24 * 60;
constexpr long long kMaxDurationSeconds = 30LL * 24 * 3600;

// A value found in the file, with what error messages need to point at it.
struct Key {
  const std::filesystem::path& file;
  std::string name;
  const toml::node& node;
};

Error bad_value(const Key& key, std::string_view expected) {
  const auto& begin = key.node.source().begin;
  return Error{ErrorKind::usage,
               fmt::format("{}:{}:{}: `{}` must be {}", key.file.string(), begin.line, begin.column,
                           key.name, expected),
               {}};
}

Status set_string(std::optional<std::string>& field, const Key& key) {
  const auto* value = key.node.as_string();
  if (value == nullptr) return tl::unexpected(bad_value(key, "a string"));
  field = value->get();
  return {};
}

Status set_ssh_cidr(Config& config, const Key& key) {
  if (auto set = set_string(config.ssh_cidr, key); !set) return set;
  if (is_ipv4_cidr(*config.ssh_cidr)) return {};
  return tl::unexpected(bad_value(key, "an IPv4 CIDR such as 203.0.113.7/32"));
}

Status set_types(Config& config, const Key& key) {
  std::vector<std::string> types;
  if (const auto* text = key.node.as_string()) {
    for (const auto& part : base::split(text->get(), ',')) types.push_back(base::trim(part));
  } else if (const auto* list = key.node.as_array()) {
    for (const auto& item : *list) {
      if (!item.is_string()) return tl::unexpected(bad_value(key, "a list of strings"));
      types.push_back(base::trim(*item.value<std::string>()));
    }
  } else {
    return tl::unexpected(bad_value(key, "a string or a list of strings"));
  }
  std::erase_if(types, [](const std::string& type) { return type.empty(); });
  if (types.empty()) return tl::unexpected(bad_value(key, "at least one instance type"));
  config.types = std::move(types);
  return {};
}

Status set_disk(Config& config, const Key& key) {
  const auto* value = key.node.as_integer();
  if (value == nullptr || value->get() < 1 || value->get() > kMaxDiskGb) {
    return tl::unexpected(bad_value(key, fmt::format("a whole number of GB, 1 to {}", kMaxDiskGb)));
  }
  config.disk_gb = static_cast<int>(value->get());
  return {};
}

Status set_host_key_wait(Config& config, const Key& key) {
  std::optional<long long> seconds;
  if (const auto* minutes = key.node.as_integer())
    seconds = parse_duration_s(std::to_string(minutes->get()));
  if (const auto* text = key.node.as_string()) seconds = parse_duration_s(text->get());
  if (!seconds) return tl::unexpected(bad_value(key, R"(a duration such as "5m" or "90s")"));
  config.host_key_wait_s = *seconds;
  return {};
}

Status set_autostop(Config& config, const Key& key) {
  if (const auto* minutes = key.node.as_integer()) {
    if (minutes->get() < 0 || minutes->get() > kMaxAutostopMinutes) {
      return tl::unexpected(bad_value(key, "a number of minutes, 0 (off) to 43200"));
    }
    config.autostop_minutes = static_cast<int>(minutes->get());
    return {};
  }
  const auto* text = key.node.as_string();
  Result<int> minutes = fail(ErrorKind::usage, "");
  if (text != nullptr) minutes = parse_autostop(text->get());
  if (!minutes) return tl::unexpected(bad_value(key, R"(a duration such as "60m", or "off")"));
  config.autostop_minutes = *minutes;
  return {};
}

Status set_max_hours(Config& config, const Key& key) {
  std::optional<double> hours;
  if (const auto* number = key.node.as_integer()) hours = static_cast<double>(number->get());
  if (const auto* number = key.node.as_floating_point()) hours = number->get();
  if (const auto* text = key.node.as_string()) {
    auto parsed = parse_max_hours(text->get());
    if (parsed) hours = *parsed;
  }
  if (!hours || !(*hours == 0 || (*hours >= 0.01 && *hours <= 720)))
    return tl::unexpected(bad_value(key, R"(hours from 0.01 to 720, or "off")"));
  config.max_hours = *hours;
  return {};
}

std::optional<std::string> price_text(const toml::node& node) {
  if (const auto* number = node.as_integer()) {
    return number->get() >= 0 ? std::optional(std::to_string(number->get())) : std::nullopt;
  }
  if (const auto* number = node.as_floating_point()) {
    double value = number->get();
    return std::isfinite(value) && value >= 0 ? std::optional(fmt::format("{}", value))
                                              : std::nullopt;
  }
  const auto* text = node.as_string();
  if (text == nullptr) return std::nullopt;
  auto trimmed = base::trim(text->get());
  double value = -1;
  auto [end, error] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
  bool whole = error == std::errc() && end == trimmed.data() + trimmed.size();
  return whole && std::isfinite(value) && value >= 0 ? std::optional(trimmed) : std::nullopt;
}

// `g5.xlarge = 1.0` unquoted is, to TOML, a table g5 holding xlarge: join such keys back.
Status add_prices(Config& config, const Key& key, const toml::table& table) {
  for (const auto& [type, node] : table) {
    Key entry{key.file, key.name + "." + std::string(type.str()), node};
    auto prefix = entry.name.substr(entry.name.find('.') + 1);
    if (const auto* nested = node.as_table()) {
      if (auto added = add_prices(config, entry, *nested); !added) return added;
      continue;
    }
    auto price = price_text(node);
    if (!price) return tl::unexpected(bad_value(entry, "a price in dollars per hour, e.g. 1.006"));
    config.prices[prefix] = *price;
  }
  return {};
}

Status set_prices(Config& config, const Key& key) {
  const auto* table = key.node.as_table();
  if (table == nullptr) return tl::unexpected(bad_value(key, "a table: [prices]"));
  return add_prices(config, key, *table);
}

// [machines.NAME] host = "user@address[:port]": boxes for the ssh provider.
Status set_machines(Config& config, const Key& key) {
  const auto* table = key.node.as_table();
  if (table == nullptr) return tl::unexpected(bad_value(key, "a table: [machines.NAME]"));
  for (const auto& [name, node] : *table) {
    Key entry{key.file, key.name + "." + std::string(name.str()), node};
    const auto* machine = node.as_table();
    const auto* host = machine != nullptr ? machine->get_as<std::string>("host") : nullptr;
    if (host == nullptr)
      return tl::unexpected(bad_value(entry, R"(a table with host = "user@address[:port]")"));
    config.machines[std::string(name.str())] = host->get();
  }
  return {};
}

using Setter = Status (*)(Config&, const Key&);

const std::map<std::string_view, Setter>& setters() {
  static const std::map<std::string_view, Setter> table = {
      {"region", [](Config& c, const Key& k) { return set_string(c.region, k); }},
      {"profile", [](Config& c, const Key& k) { return set_string(c.profile, k); }},
      {"ami", [](Config& c, const Key& k) { return set_string(c.ami, k); }},
      {"user", [](Config& c, const Key& k) { return set_string(c.user, k); }},
      {"ssh_cidr", set_ssh_cidr},
      {"type", set_types},
      {"disk", set_disk},
      {"autostop", set_autostop},
      {"host_key_wait", set_host_key_wait},
      {"max_hours", set_max_hours},
      {"prices", set_prices},
      {"machines", set_machines},
  };
  return table;
}

Result<toml::table> parse_file(const std::filesystem::path& path, const std::string& text) {
  try {
    return toml::parse(text, path.string());
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    return fail(ErrorKind::usage, fmt::format("{}:{}:{}: {}", path.string(), begin.line,
                                              begin.column, error.description()));
  }
}

// Decimal 0..MAX without sign or leading zeros.
std::optional<int> small_decimal(std::string_view text, int max) {
  if (text.empty() || text.size() > 3 || text[0] < '0' || text[0] > '9') return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace

std::filesystem::path config_path(const util::Env& env) {
  return env.config_home() / "gpunb" / "config.toml";
}

Result<Config> load_config(const std::filesystem::path& path) {
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored)) return Config{};
  auto text = base::read_file(path);
  if (!text) return fail(ErrorKind::usage, fmt::format("cannot read {}", path.string()));
  auto table = parse_file(path, *text);
  TRY(table);
  Config config;
  for (const auto& [name, node] : *table) {
    auto setter = setters().find(name.str());
    if (setter == setters().end()) {
      config.unknown_keys.emplace_back(name.str());
      continue;
    }
    TRY(setter->second(config, Key{path, std::string(name.str()), node}));
  }
  return config;
}

bool is_ipv4_cidr(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || !small_decimal(text.substr(slash + 1), 32)) return false;
  auto octets = base::split(text.substr(0, slash), '.');
  if (octets.size() != 4) return false;
  return std::all_of(octets.begin(), octets.end(), [](const std::string& octet) {
    return small_decimal(octet, 255).has_value();
  });
}

Result<double> parse_max_hours(std::string_view text) {
  auto lowered = base::to_lower(base::trim(text));
  if (lowered == "off" || lowered == "0") return 0.0;
  std::string_view digits = lowered;
  if (digits.ends_with('h')) digits.remove_suffix(1);
  double hours = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), hours);
  bool whole = !digits.empty() && error == std::errc() && end == digits.data() + digits.size();
  if (!whole || !(hours >= 0.01 && hours <= 720))
    return fail(
        ErrorKind::usage,
        fmt::format("max-hours must be hours from 0.01 to 720 (4, 0.5, 8h) or off, not '{}'",
                    text));
  return hours;
}

Result<int> parse_autostop(std::string_view text) {
  auto lowered = base::to_lower(base::trim(text));
  if (lowered == "off" || lowered == "never" || lowered == "0") return 0;
  std::string_view digits = lowered;
  int unit = 1;
  if (digits.ends_with('h')) unit = 60;
  if (digits.ends_with("min"))
    digits.remove_suffix(3);
  else if (digits.ends_with('m') || digits.ends_with('h'))
    digits.remove_suffix(1);
  int value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  bool whole = !digits.empty() && error == std::errc() && end == digits.data() + digits.size();
  if (!whole || value < 1 || value > kMaxAutostopMinutes / unit) {
    return fail(
        ErrorKind::usage,
        fmt::format("autostop must be like 60m, 2h or off (at most 30 days), not '{}'", text));
  }
  return value * unit;
}

std::optional<long long> parse_duration_s(std::string_view text) {
  if (text == "off" || text == "0") return 0;
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits > 9) return std::nullopt;
  long long value = std::stoll(std::string(text.substr(0, digits)));
  auto unit = text.substr(digits);
  long long scale = unit == "s" ? 1 : unit == "m" || unit.empty() ? 60 : unit == "h" ? 3600 : 0;
  if (scale == 0 || value * scale > kMaxDurationSeconds) return std::nullopt;
  return value * scale;
}

}  // namespace gpunb::core
