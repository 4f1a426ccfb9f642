#include "aws/ec2_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include "base/expected.hpp"

namespace gpunb::aws {

namespace {

constexpr int kMaxPages = 1000;

int digits(std::string_view text, size_t at, size_t count) {
  int value = -1;
  if (at + count > text.size()) return -1;
  auto [end, error] = std::from_chars(text.data() + at, text.data() + at + count, value);
  return error == std::errc() && end == text.data() + at + count ? value : -1;
}

bool iso_separators_ok(std::string_view text) {
  return text.size() >= 19 && text[4] == '-' && text[7] == '-' &&
         (text[10] == 'T' || text[10] == ' ') && text[13] == ':' && text[16] == ':';
}

}  // namespace

void add_list(Params& params, std::string_view prefix, const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i)
    params.emplace_back(fmt::format("{}.{}", prefix, i + 1), values[i]);
}

void add_filters(Params& params, const std::vector<Filter>& filters) {
  for (size_t i = 0; i < filters.size(); ++i) {
    params.emplace_back(fmt::format("Filter.{}.Name", i + 1), filters[i].name);
    add_list(params, fmt::format("Filter.{}.Value", i + 1), filters[i].values);
  }
}

void add_tags(Params& params, std::string_view prefix, const Tags& tags) {
  size_t index = 0;
  for (const auto& [key, value] : tags) {
    ++index;
    params.emplace_back(fmt::format("{}.{}.Key", prefix, index), key);
    params.emplace_back(fmt::format("{}.{}.Value", prefix, index), value);
  }
}

std::string base64_encode(std::string_view bytes) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    size_t left = std::min<size_t>(3, bytes.size() - i);
    std::uint32_t chunk = 0;
    for (size_t j = 0; j < 3; ++j) {
      chunk = (chunk << 8) | (j < left ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    }
    for (size_t j = 0; j < 4; ++j) {
      out += j <= left ? alphabet[(chunk >> (18 - 6 * j)) & 0x3f] : '=';
    }
  }
  return out;
}

std::string child_text(const pugi::xml_node& node, const char* name) {
  return node.child_value(name);
}

pugi::xml_object_range<pugi::xml_named_node_iterator> items(const pugi::xml_node& node,
                                                            const char* name) {
  return node.child(name).children("item");
}

std::int64_t to_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

std::int64_t parse_iso8601(std::string_view text) {
  if (!iso_separators_ok(text)) return 0;
  std::array<int, 6> parts = {digits(text, 0, 4),  digits(text, 5, 2),  digits(text, 8, 2),
                              digits(text, 11, 2), digits(text, 14, 2), digits(text, 17, 2)};
  if (std::any_of(parts.begin(), parts.end(), [](int part) { return part < 0; })) return 0;
  if (parts[3] > 23 || parts[4] > 59 || parts[5] > 60) return 0;
  std::chrono::year_month_day date{std::chrono::year{parts[0]},
                                   std::chrono::month{static_cast<unsigned>(parts[1])},
                                   std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!date.ok()) return 0;
  auto time = std::chrono::sys_days{date} + std::chrono::hours{parts[3]} +
              std::chrono::minutes{parts[4]} + std::chrono::seconds{parts[5]};
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

Tags parse_tags(const pugi::xml_node& tag_set) {
  Tags tags;
  for (const auto& item : tag_set.children("item"))
    tags[child_text(item, "key")] = child_text(item, "value");
  return tags;
}

core::Status for_each_page(Ec2Client& client, const std::string& action, const Params& params,
                           const ResponsePage& page) {
  std::string token;
  for (int count = 0; count < kMaxPages; ++count) {
    Params request = params;
    if (!token.empty()) request.emplace_back("NextToken", token);
    auto document = client.call(action, request);
    TRY(document);
    auto response = (*document)->document_element();
    page(response);
    auto next = child_text(response, "nextToken");
    if (next.empty()) return {};
    if (next == token) break;
    token = std::move(next);
  }
  return core::fail(core::ErrorKind::cloud, action + ": EC2 kept returning more pages");
}

core::Status call_status(Ec2Client& client, const std::string& action, const Params& params) {
  auto document = client.call(action, params);
  TRY(document);
  return {};
}

}  // namespace gpunb::aws
