// ListObjectsV2 and HEAD Object.
#include <fmt/format.h>

#include <charconv>
#include <pugixml.hpp>

#include "aws/s3_client.hpp"
#include "base/expected.hpp"

namespace gpunb::aws {

namespace {

constexpr int kMaxPages = 100000;  // 100 million keys: a loop guard, not a limit anyone meets

std::string unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::optional<std::uint64_t> to_size(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

core::Error unreadable(const std::string& what) {
  return {core::ErrorKind::cloud, what + ": S3 sent an unreadable listing",
          "check the S3 endpoint (AWS_ENDPOINT_URL_S3)"};
}

}  // namespace

namespace detail {

core::Result<ListPage> parse_list_page(const std::string& body) {
  pugi::xml_document document;
  if (!document.load_buffer(body.data(), body.size()))
    return tl::unexpected(unreadable("ListObjectsV2"));
  auto root = document.child("ListBucketResult");
  if (!root) return tl::unexpected(unreadable("ListObjectsV2"));
  ListPage page;
  for (auto item : root.children("Contents")) {
    auto size = to_size(item.child_value("Size"));
    if (!size) return tl::unexpected(unreadable("ListObjectsV2"));
    page.objects.push_back({item.child_value("Key"), *size, unquote(item.child_value("ETag"))});
  }
  page.truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  page.next_token = root.child_value("NextContinuationToken");
  return page;
}

}  // namespace detail

core::Result<std::vector<S3Object>> S3Client::list(const std::string& bucket,
                                                   const std::string& prefix) {
  std::vector<S3Object> objects;
  std::string token;
  const auto what = fmt::format("s3://{}/{}", bucket, prefix);
  for (int pages = 0; pages < kMaxPages; ++pages) {
    Query query{{"list-type", "2"}, {"max-keys", "1000"}, {"prefix", prefix}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    auto response = send("GET", bucket, "", query);
    TRY(response);
    if (response->status != 200)
      return tl::unexpected(detail::s3_error(*response, what, settings_.anonymous));
    auto page = detail::parse_list_page(response->body);
    if (!page) return tl::unexpected(unreadable(what));
    for (auto& object : page->objects) objects.push_back(std::move(object));
    if (!page->truncated) return objects;
    if (page->next_token.empty() || page->next_token == token)
      return tl::unexpected(unreadable(what));
    token = page->next_token;
  }
  return tl::unexpected(unreadable(what));
}

core::Result<S3Object> S3Client::head(const std::string& bucket, const std::string& key) {
  const auto what = fmt::format("s3://{}/{}", bucket, key);
  auto response = send("HEAD", bucket, key, {});
  TRY(response);
  if (response->status != 200)
    return tl::unexpected(detail::s3_error(*response, what, settings_.anonymous));
  auto size = to_size(response->header("content-length"));
  if (!size) return tl::unexpected(unreadable(what));
  return S3Object{key, *size, unquote(response->header("etag"))};
}

}  // namespace gpunb::aws
