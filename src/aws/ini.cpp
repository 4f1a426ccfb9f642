#include "aws/ini.hpp"

#include <optional>
#include <vector>

#include "base/strings.hpp"

namespace gpunb::aws {

namespace {

constexpr std::string_view kDefaultSection = "DEFAULT";

struct Parser {
  std::map<std::string, std::map<std::string, std::vector<std::string>>> sections;
  std::string section;  // empty: before the first header
  std::string option;   // empty: no value to continue
  size_t indent = 0;

  void feed(std::string_view line);
  void start_value(const std::string& text);
  IniFile finish() const;
};

bool is_comment_or_blank(const std::string& stripped) {
  return stripped.empty() || stripped.front() == '#' || stripped.front() == ';';
}

// "[header] trailing" → "header" (up to the last ']', as Python's `\[(?P<header>.+)\]` matches).
std::optional<std::string> section_header(const std::string& stripped) {
  auto close = stripped.rfind(']');
  if (stripped.front() != '[' || close == std::string::npos || close < 2) return std::nullopt;
  return stripped.substr(1, close - 1);
}

void Parser::feed(std::string_view line) {
  auto stripped = base::trim(line);
  if (is_comment_or_blank(stripped)) {
    if (stripped.empty() && !option.empty()) sections[section][option].emplace_back();
    return;
  }
  auto line_indent = line.find_first_not_of(" \t");
  if (!option.empty() && line_indent > indent) {
    sections[section][option].push_back(stripped);
    return;
  }
  indent = line_indent;
  option.clear();
  if (auto header = section_header(stripped)) {
    section = *header;
    sections[section];
  } else if (!section.empty()) {
    start_value(stripped);
  }
}

// `key = value` or `key: value`, split at whichever delimiter comes first.
void Parser::start_value(const std::string& text) {
  auto delimiter = text.find_first_of("=:");
  if (delimiter == std::string::npos || delimiter == 0) return;
  option = base::to_lower(base::trim(text.substr(0, delimiter)));
  sections[section][option] = {base::trim(text.substr(delimiter + 1))};
}

std::string join_value(const std::vector<std::string>& lines) {
  auto value = base::join(lines, "\n");
  value.erase(value.find_last_not_of(" \t\r\n") + 1);  // npos + 1 == 0 clears all-blank values
  return value;
}

IniFile Parser::finish() const {
  IniFile file;
  IniSection defaults;
  if (auto it = sections.find(std::string(kDefaultSection)); it != sections.end()) {
    for (const auto& [key, lines] : it->second) defaults[key] = join_value(lines);
  }
  for (const auto& [name, options] : sections) {
    if (name == kDefaultSection) continue;
    auto& out = file[name] = defaults;
    for (const auto& [key, lines] : options) out[key] = join_value(lines);
  }
  return file;
}

}  // namespace

IniFile parse_ini(std::string_view text) {
  Parser parser;
  for (const auto& line : base::split(text, '\n')) parser.feed(line);
  return parser.finish();
}

IniSection parse_nested(std::string_view value) {
  IniSection out;
  for (const auto& line : base::split(value, '\n')) {
    auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    out[base::trim(line.substr(0, equals))] = base::trim(line.substr(equals + 1));
  }
  return out;
}

}  // namespace gpunb::aws
