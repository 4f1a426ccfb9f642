#include "agent/fetch/download_head.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace gpunb::data {
namespace {

bool is_named(const std::string& key, std::string_view name) {
  return std::equal(key.begin(), key.end(), name.begin(), name.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ContentRange> content_range(const HttpHead& head) {
  auto value = header(head.headers, "Content-Range");
  if (!value || !value->starts_with("bytes ")) return std::nullopt;
  std::string_view text = std::string_view(*value).substr(6);
  auto dash = text.find('-');
  auto slash = text.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) {
    return std::nullopt;
  }
  auto first = number(text.substr(0, dash));
  auto last = number(text.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange out{*first, *last + 1, std::nullopt};
  if (text.substr(slash + 1) != "*") {
    out.total = number(text.substr(slash + 1));
    if (!out.total || *out.total < out.end) return std::nullopt;
  }
  return out;
}

std::string validator_of(const HttpHead& head) {
  auto etag = header(head.headers, "ETag");
  if (etag && etag->starts_with('"')) return *etag;
  return header(head.headers, "Last-Modified").value_or("");
}

Error status_failure(int status, const Url& url) {
  std::string message = "HTTP " + std::to_string(status) + " from " + url.redacted();
  if (status == 404 || status == 410) return {ErrorKind::not_found, message};
  if (status == 408 || status == 429 || status >= 500) return {ErrorKind::network, message};
  return {ErrorKind::refused, message};
}

HttpRequest ranged(const HttpRequest& request, std::uint64_t start,
                   std::optional<std::uint64_t> end, const std::string& validator) {
  HttpRequest out = request;
  std::erase_if(out.headers, [](const auto& pair) {
    return is_named(pair.first, "Range") || is_named(pair.first, "If-Range");
  });
  std::string range = "bytes=" + std::to_string(start) + "-";
  if (end) range += std::to_string(*end - 1);
  out.headers.emplace_back("Range", range);
  if (!validator.empty()) out.headers.emplace_back("If-Range", validator);
  return out;
}

}  // namespace gpunb::data
