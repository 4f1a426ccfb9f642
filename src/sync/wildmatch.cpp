// A port of git's wildmatch.c (WM_PATHNAME, case-sensitive), split into small steps.
#include "sync/wildmatch.hpp"

#include <array>
#include <cctype>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

namespace gpunb::sync {

namespace {

enum class Outcome { match, no_match, abort_all, abort_to_starstar };

using Text = const unsigned char*;

class Matcher {
 public:
  explicit Matcher(Text start) : start_(start) {}
  Outcome run(Text p, Text text) const;

 private:
  Outcome star(Text p, Text text) const;
  Outcome star_loop(Text p, Text text, bool match_slash) const;
  static bool starstar_stands_alone(Text before, Text after, Text start);
  static Outcome bracket_step(Text& p, unsigned char t);
  static bool bracket(Text& p, unsigned char t, bool& bad);
  static bool char_class(Text& p, unsigned char t, unsigned char& c, bool& bad);

  Text start_;
};

using ClassTest = int (*)(int);

// nullopt: not a class name git knows.
std::optional<bool> class_has(std::string_view name, unsigned char t) {
  static constexpr std::array<std::pair<std::string_view, ClassTest>, 12> kClasses = {{
      {"alnum", [](int c) { return std::isalnum(c); }},
      {"alpha", [](int c) { return std::isalpha(c); }},
      {"blank", [](int c) { return static_cast<int>(c == ' ' || c == '\t'); }},
      {"cntrl", [](int c) { return std::iscntrl(c); }},
      {"digit", [](int c) { return std::isdigit(c); }},
      {"graph", [](int c) { return std::isgraph(c); }},
      {"lower", [](int c) { return std::islower(c); }},
      {"print", [](int c) { return std::isprint(c); }},
      {"punct", [](int c) { return std::ispunct(c); }},
      {"space", [](int c) { return std::isspace(c); }},
      {"upper", [](int c) { return std::isupper(c); }},
      {"xdigit", [](int c) { return std::isxdigit(c); }},
  }};
  for (const auto& [known, test] : kClasses) {
    if (known == name) return test(t) != 0;
  }
  return std::nullopt;
}

// P points at "[:". A "[:name:]" moves P to its closing ']' and sets C to 0; anything else
// leaves P and C alone and counts as a literal '['. BAD: malformed.
bool Matcher::char_class(Text& p, unsigned char t, unsigned char& c, bool& bad) {
  Text name = p + 2;
  Text end = name;
  while (*end != '\0' && *end != ']') ++end;
  if (*end == '\0') return bad = true, false;
  if (end == name || end[-1] != ':') return t == '[';
  auto length = static_cast<size_t>(end - 1 - name);
  auto has = class_has(std::string_view(reinterpret_cast<const char*>(name), length), t);
  if (!has) return bad = true, false;
  p = end;
  c = 0;
  return *has;
}

// P points just past '['; on return P points at the closing ']'. BAD: no closing ']'.
bool Matcher::bracket(Text& p, unsigned char t, bool& bad) {
  bool matched = false;
  unsigned char prev = 0;
  unsigned char c = *p;
  do {
    if (c == '\0') return bad = true, false;
    if (c == '\\') {
      c = *++p;
      if (c == '\0') return bad = true, false;
      matched |= t == c;
    } else if (c == '-' && prev != 0 && p[1] != '\0' && p[1] != ']') {
      c = *++p;
      if (c == '\\' && (c = *++p) == '\0') return bad = true, false;
      matched |= t <= c && t >= prev;
      c = 0;  // a range's end starts no new range
    } else if (c == '[' && p[1] == ':') {
      matched |= char_class(p, t, c, bad);
      if (bad) return false;
    } else {
      matched |= t == c;
    }
    prev = c;
  } while ((c = *++p) != ']');
  return matched;
}

bool Matcher::starstar_stands_alone(Text before, Text after, Text start) {
  bool after_slash = before < start || *before == '/';
  bool before_slash = *after == '\0' || *after == '/' || (after[0] == '\\' && after[1] == '/');
  return after_slash && before_slash;
}

// P points at the first '*'.
Outcome Matcher::star(Text p, Text text) const {
  bool match_slash = false;
  if (*++p == '*') {
    Text before = p - 2;
    while (*++p == '*') {
    }
    if (starstar_stands_alone(before, p, start_)) {
      if (p[0] == '/' && run(p + 1, text) == Outcome::match) return Outcome::match;
      match_slash = true;
    }
  }
  if (*p == '\0') {  // a trailing "**" matches everything; a trailing '*' no further folder
    if (!match_slash && std::strchr(reinterpret_cast<const char*>(text), '/') != nullptr)
      return Outcome::no_match;
    return Outcome::match;
  }
  if (!match_slash && *p == '/') {  // "*/": the star takes the rest of this folder name
    const char* slash = std::strchr(reinterpret_cast<const char*>(text), '/');
    if (slash == nullptr) return Outcome::no_match;
    return run(p + 1, reinterpret_cast<Text>(slash) + 1);
  }
  return star_loop(p, text, match_slash);
}

Outcome Matcher::star_loop(Text p, Text text, bool match_slash) const {
  for (; *text != '\0'; ++text) {
    Outcome matched = run(p, text);
    if (matched != Outcome::no_match) {
      if (!match_slash || matched != Outcome::abort_to_starstar) return matched;
    } else if (!match_slash && *text == '/') {
      return Outcome::abort_to_starstar;
    }
  }
  return Outcome::abort_all;
}

// P points at '['; on a match it is left on the closing ']'.
Outcome Matcher::bracket_step(Text& p, unsigned char t) {
  ++p;
  bool negated = *p == '!' || *p == '^';
  if (negated) ++p;
  bool bad = false;
  bool matched = bracket(p, t, bad);
  if (bad) return Outcome::abort_all;
  if (matched == negated || t == '/') return Outcome::no_match;
  return Outcome::match;
}

Outcome Matcher::run(Text p, Text text) const {
  for (; *p != '\0'; ++text, ++p) {
    unsigned char t = *text;
    if (t == '\0' && *p != '*') return Outcome::abort_all;
    switch (*p) {
      case '*':
        return star(p, text);
      case '?':
        if (t == '/') return Outcome::no_match;
        break;
      case '[':
        if (auto one = bracket_step(p, t); one != Outcome::match) return one;
        break;
      case '\\':
        ++p;
        [[fallthrough]];
      default:
        if (t != *p) return Outcome::no_match;
    }
  }
  return *text != '\0' ? Outcome::no_match : Outcome::match;
}

}  // namespace

bool wildmatch(std::string_view pattern, std::string_view text) {
  std::string p(pattern);  // NUL-terminated copies: the algorithm reads one past the end
  std::string t(text);
  const auto* start = reinterpret_cast<Text>(p.c_str());
  return Matcher(start).run(start, reinterpret_cast<Text>(t.c_str())) == Outcome::match;
}

}  // namespace gpunb::sync
