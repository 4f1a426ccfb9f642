// A port of git's wildmatch.c (WM_PATHNAME, case-sensitive), split into small steps.
#include "sync/wildmatch.hpp"

#include <cctype>
#include <cstring>
#include <string>

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
  static bool bracket(Text& p, unsigned char t, bool& bad);
  static bool char_class(Text& p, unsigned char t, unsigned char& c, bool& bad);

  Text start_;
};

// -1: not a class name git knows.
int class_has(std::string_view name, unsigned char t) {
  int c = t;
  if (name == "alnum") return std::isalnum(c) != 0;
  if (name == "alpha") return std::isalpha(c) != 0;
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return std::iscntrl(c) != 0;
  if (name == "digit") return std::isdigit(c) != 0;
  if (name == "graph") return std::isgraph(c) != 0;
  if (name == "lower") return std::islower(c) != 0;
  if (name == "print") return std::isprint(c) != 0;
  if (name == "punct") return std::ispunct(c) != 0;
  if (name == "space") return std::isspace(c) != 0;
  if (name == "upper") return std::isupper(c) != 0;
  if (name == "xdigit") return std::isxdigit(c) != 0;
  return -1;
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
  int has = class_has(std::string_view(reinterpret_cast<const char*>(name), length), t);
  if (has < 0) return bad = true, false;
  p = end;
  c = 0;
  return has == 1;
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
      case '[': {
        ++p;
        bool negated = *p == '!' || *p == '^';
        if (negated) ++p;
        bool bad = false;
        bool matched = bracket(p, t, bad);
        if (bad) return Outcome::abort_all;
        if (matched == negated || t == '/') return Outcome::no_match;
        break;
      }
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
  auto start = reinterpret_cast<Text>(p.c_str());
  return Matcher(start).run(start, reinterpret_cast<Text>(t.c_str())) == Outcome::match;
}

}  // namespace gpunb::sync
