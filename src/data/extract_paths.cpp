#include "data/extract_paths.hpp"

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

agent::Outcome<EntryPath> refuse(const char* why) {
  return agent::failure("refused", why);
}

}  // namespace

std::string shown(std::string_view name) {
  std::string text = "\"";
  for (char c : name.substr(0, 200)) text += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  return text + (name.size() > 200 ? "...\"" : "\"");
}

agent::Outcome<EntryPath> check_entry_path(std::string_view raw) {
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

agent::Done check_symlink_target(const EntryPath& link, std::string_view target) {
  auto refuse_link = [&](const char* why) {
    return agent::failure("refused", "symlink to " + shown(target) + ": " + why);
  };
  if (target.empty()) return refuse_link("empty target");
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
