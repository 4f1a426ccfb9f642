#include "sync/ignore.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "base/files.hpp"
#include "sync/wildmatch.hpp"

namespace gpunb::sync {

namespace {

// Trailing spaces go unless escaped with '\'; a trailing '\r' (CRLF files) goes too.
std::string_view strip_trailing_spaces(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  while (!line.empty() && line.back() == ' ') {
    size_t backslashes = 0;
    for (size_t i = line.size() - 1; i > 0 && line[i - 1] == '\\'; --i) ++backslashes;
    if (backslashes % 2 == 1) break;  // "\ " keeps its space
    line.remove_suffix(1);
  }
  return line;
}

std::string_view last_name(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool rule_matches(const IgnoreRule& rule, std::string_view path, bool is_dir) {
  if (rule.dir_only && !is_dir) return false;
  return wildmatch(rule.pattern, rule.anchored ? path : last_name(path));
}

// A repository's folder, or the ".git" file of a submodule or worktree.
bool is_git(std::string_view path) {
  return last_name(path) == ".git";
}

}  // namespace

bool parse_ignore_line(std::string_view line, IgnoreRule& rule) {
  line = strip_trailing_spaces(line);
  if (line.empty() || line.front() == '#') return false;
  rule = IgnoreRule{};
  if (line.front() == '!') {
    rule.negated = true;
    line.remove_prefix(1);
  }
  if (!line.empty() && line.back() == '/') {
    rule.dir_only = true;
    line.remove_suffix(1);
  }
  rule.anchored = line.find('/') != std::string_view::npos;
  if (!line.empty() && line.front() == '/') line.remove_prefix(1);
  rule.pattern = std::string(line);  // "\#" and "\!" stay escaped: wildmatch reads them literally
  return !rule.pattern.empty();
}

Ignore::Ignore() {
  // The temp files of an interrupted transfer (".NAME.gpunb-tmp-PID-RAND") never travel.
  for (const auto* line : {".ipynb_checkpoints/", "__pycache__/", ".*.gpunb-tmp-*"}) add_line(line);
}

Ignore Ignore::parse(std::string_view text) {
  Ignore ignore;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ignore.add_line(text.substr(start, end - start));
    start = end + 1;
  }
  return ignore;
}

core::Result<Ignore> Ignore::load(const std::filesystem::path& root) {
  auto file = root / kIgnoreFile;
  std::error_code error;
  if (!std::filesystem::exists(file, error)) return Ignore();
  auto text = base::read_file(file);
  if (!text) {
    return core::fail(core::ErrorKind::usage, fmt::format("cannot read {}", file.string()));
  }
  return parse(*text);
}

void Ignore::add_line(std::string_view line) {
  IgnoreRule rule;
  if (parse_ignore_line(line, rule)) rules_.push_back(std::move(rule));
}

bool Ignore::matches(std::string_view path, bool is_dir) const {
  if (is_git(path)) return true;
  auto last = std::find_if(rules_.rbegin(), rules_.rend(), [&](const IgnoreRule& rule) {
    return rule_matches(rule, path, is_dir);
  });
  return last != rules_.rend() && !last->negated;
}

bool Ignore::excludes(std::string_view path, bool is_dir) const {
  for (auto slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (matches(path.substr(0, slash), true)) return true;
  }
  return matches(path, is_dir);
}

}  // namespace gpunb::sync
