#include "base/text.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "base/strings.hpp"

namespace gpunb::base {

std::string form_encode(std::string_view text) {
  // uri_encode's safe set is botocore's (A-Za-z0-9-_.~); only a space differs: '+' in a form.
  std::string out;
  for (size_t start = 0;;) {
    auto space = text.find(' ', start);
    out += uri_encode(text.substr(start, space - start));  // to the end at npos
    if (space == std::string_view::npos) return out;
    out += '+';
    start = space + 1;
  }
}

namespace {

// The code point of the UTF-8 sequence at TEXT[AT] and its length; length 0 when it is not UTF-8
// (bad lead or continuation byte, overlong, a surrogate, beyond U+10FFFF, cut short).
std::pair<char32_t, size_t> utf8_at(std::string_view text, size_t at) {
  auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) return {lead, 1};
  size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (length == 0 || lead > 0xF4 || at + length > text.size()) return {0, 0};
  char32_t code = lead & (0x7FU >> length);
  for (size_t i = 1; i < length; ++i) {
    auto next = static_cast<unsigned char>(text[at + i]);
    if ((next & 0xC0U) != 0x80) return {0, 0};
    code = (code << 6U) | (next & 0x3FU);
  }
  static constexpr std::array<char32_t, 5> smallest = {0, 0, 0x80, 0x800, 0x10000};
  if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
    return {0, 0};
  return {code, length};
}

bool unsafe_code(char32_t code, bool keep_lines) {
  if (keep_lines && (code == '\n' || code == '\t')) return false;
  bool bidi = (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069);
  return code < 0x20 || (code >= 0x7F && code <= 0x9F) || bidi;
}

}  // namespace

std::string printable(std::string_view text, bool keep_lines) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    auto [code, length] = utf8_at(text, at);
    if (length == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[at]));
      at += 1;
      continue;
    }
    if (!unsafe_code(code, keep_lines)) {
      out.append(text.substr(at, length));
    } else if (code < 0x80) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(code));
    } else {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(code));
    }
    at += length;
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace gpunb::base
