// File names for downloads: cleaned server-given names, Content-Disposition, the URL's last
// segment.
#include "agent/fetch/download_names.hpp"

#include <algorithm>
#include <cctype>

#include "agent/fetch/download.hpp"
#include "base/strings.hpp"

namespace gpunb::data {
namespace {

constexpr size_t kMaxName = 200;

// Cuts TEXT to at most MAX bytes without splitting a UTF-8 sequence.
std::string cut_utf8(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  text.resize(end);
  return text;
}

// The value of PARAMETER (lowercase) in a header value "type; a=b; c="d"", unquoted.
std::optional<std::string> parameter(std::string_view value, std::string_view name) {
  size_t at = 0;
  while ((at = value.find(';', at)) != std::string_view::npos) {
    ++at;
    while (at < value.size() && (value[at] == ' ' || value[at] == '\t')) ++at;
    auto eq = value.find('=', at);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string key(value.substr(at, eq - at));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    size_t start = eq + 1;
    std::string out;
    if (start < value.size() && value[start] == '"') {
      for (size_t i = start + 1; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        out += value[i];
      }
    } else {
      out = std::string(value.substr(start, value.find(';', start) - start));
      while (!out.empty() && out.back() == ' ') out.pop_back();
    }
    if (key == name) return out;
  }
  return std::nullopt;
}

}  // namespace

std::string sanitize_file_name(std::string_view name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) out += c;
  }
  size_t start = out.find_first_not_of(". ");
  out = start == std::string::npos ? "" : out.substr(start);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out = cut_utf8(std::move(out), kMaxName);
  return out.empty() ? "download" : out;
}

std::optional<std::string> content_disposition_name(std::string_view value) {
  if (auto extended = parameter(value, "filename*")) {
    auto quote = extended->find("''");
    std::string charset = extended->substr(0, extended->find('\''));
    for (char& c : charset) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (quote != std::string::npos && (charset == "utf-8" || charset == "iso-8859-1")) {
      auto decoded = base::uri_decode(extended->substr(quote + 2), false);
      if (!decoded.empty()) return decoded;
    }
  }
  if (auto plain = parameter(value, "filename"); plain && !plain->empty()) return plain;
  return std::nullopt;
}

std::string name_from_url(const Url& url) {
  std::string path = url.target.substr(0, url.target.find('?'));
  return sanitize_file_name(base::uri_decode(path.substr(path.rfind('/') + 1), false));
}

}  // namespace gpunb::data
