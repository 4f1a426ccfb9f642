// Which workspace paths never travel: `.gpunbignore` at the workspace root, in gitignore syntax,
// after the default skips (.ipynb_checkpoints/, __pycache__/). `.git` (a repository's folder, or
// a submodule's file) is always skipped.
// Paths are relative to the workspace root and '/'-separated.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace gpunb::sync {

inline constexpr std::string_view kIgnoreFile = ".gpunbignore";

// One line of an ignore file, parsed.
struct IgnoreRule {
  std::string pattern;    // wildmatch syntax; no leading '/', no trailing '/'
  bool negated = false;   // "!pattern": re-includes
  bool dir_only = false;  // "pattern/": directories only
  bool anchored = false;  // contains a '/': matched against the whole path, else the last name
};

class Ignore {
 public:
  Ignore();  // the default skips only

  // The default skips, then the rules of TEXT (the content of an ignore file).
  static Ignore parse(std::string_view text);
  // The default skips plus ROOT/.gpunbignore when there is one.
  static core::Result<Ignore> load(const std::filesystem::path& root);

  // The last rule matching PATH itself decides (as in git); parents are not looked at.
  // Use it while walking a tree top-down, where an ignored folder is never entered.
  bool matches(std::string_view path, bool is_dir) const;
  // PATH is excluded when it matches, or when any folder above it does: a file inside an
  // ignored folder cannot be re-included (as in git).
  bool excludes(std::string_view path, bool is_dir) const;

  const std::vector<IgnoreRule>& rules() const { return rules_; }

 private:
  void add_line(std::string_view line);

  std::vector<IgnoreRule> rules_;
};

// Parses one line; false for blank lines and comments.
bool parse_ignore_line(std::string_view line, IgnoreRule& rule);

}  // namespace gpunb::sync
