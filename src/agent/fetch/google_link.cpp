#include "agent/fetch/google_link.hpp"

#include <algorithm>
#include <cctype>

namespace gpunb::data {

namespace {
// Drive file ids are 28 (old) or 33 characters; shorter words are more likely local names.
constexpr size_t kMinIdLength = 25;
}  // namespace

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_google_id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

bool is_google_id(std::string_view text) {
  return text.size() >= kMinIdLength && std::all_of(text.begin(), text.end(), is_google_id_char);
}

std::vector<std::string_view> path_segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    auto slash = path.find('/');
    if (auto segment = path.substr(0, slash); !segment.empty()) out.push_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto item = query.substr(0, amp);
    auto equals = item.find('=');
    if (equals != std::string_view::npos && item.substr(0, equals) == name)
      return std::string(item.substr(equals + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace gpunb::data
