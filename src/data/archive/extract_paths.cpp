#include "data/archive/extract_paths.hpp"

#include <vector>

namespace gpunb::data {
namespace {

std::vector<std::string_view> split_parts(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

Result<EntryPath> refuse(const char* why) {
  return fail(ErrorKind::refused, why);
}

}  // namespace

size_t utf8_length(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (length == 0 || lead > 0xF4 || at + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
  }
  unsigned char second = byte(at + 1);
  bool overlong = (lead == 0xE0 && second < 0xA0) || (lead == 0xF0 && second < 0x90);
  bool surrogate = lead == 0xED && second >= 0xA0;
  bool too_high = lead == 0xF4 && second >= 0x90;
  return overlong || surrogate || too_high ? 0 : length;
}

bool is_utf8(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    size_t length = utf8_length(text, at);
    if (length == 0) return false;
    at += length;
  }
  return true;
}

std::string shown(std::string_view name) {
  std::string text = "\"";
  std::string_view head = name.substr(0, 200);
  for (size_t at = 0; at < head.size();) {
    auto c = static_cast<unsigned char>(head[at]);
    size_t length = utf8_length(head, at);
    if (c < 0x20 || c == 0x7F) {
      text += '?';
    } else if (length == 0) {  // a byte that is not UTF-8: named by its value
      static constexpr char kHex[] = "0123456789abcdef";
      text += {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
      length = 1;
    } else {
      text += head.substr(at, length);
    }
    at += length;
  }
  return text + (name.size() > 200 ? "...\"" : "\"");
}

Result<EntryPath> check_entry_path(std::string_view raw) {
  if (!is_utf8(raw)) return refuse("the name is not valid UTF-8");
  if (!raw.empty() && raw.front() == '/') return refuse("an absolute path");
  std::vector<std::string_view> parts = split_parts(raw);
  EntryPath path;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "..") return refuse("a \"..\" part would leave the folder");
    std::string& into = i + 1 == parts.size() ? path.name : path.dir;
    if (!into.empty()) into += '/';
    into += parts[i];
  }
  path.depth = parts.empty() ? 0 : parts.size() - 1;
  path.full = path.dir.empty() ? path.name : path.dir + "/" + path.name;
  return path;
}

Status check_symlink_target(const EntryPath& link, std::string_view target) {
  auto refuse_link = [&](const char* why) {
    return fail(ErrorKind::refused, "symlink to " + shown(target) + ": " + why);
  };
  if (target.empty()) return refuse_link("empty target");
  if (!is_utf8(target)) return refuse_link("the target is not valid UTF-8");
  if (target.front() == '/') return refuse_link("absolute target");
  size_t climbs = 0;
  bool named = false;
  for (std::string_view part : split_parts(target)) {
    if (part != "..") {
      named = true;
    } else if (named) {
      return refuse_link("\"..\" after a name could climb out through another symlink");
    } else if (++climbs > link.depth) {
      return refuse_link("the target is outside the folder");
    }
  }
  return {};
}

}  // namespace gpunb::data
