// The HTML pages Google Drive answers with instead of a file. Seen in the wild (and reproduced by
// tests/tools/gdrive_origin.py):
//  - "Google Drive - Virus scan warning": <form id="download-form" action="https://drive.
//    usercontent.google.com/download" method="get"> with hidden id, export, confirm, uuid (at,
//    authuser sometimes); older pages had <a id="uc-download-link" href="/uc?export=download&
//    confirm=..."> instead.
//  - "Google Drive - Quota exceeded": <p class="uc-error-subcaption">Too many users have viewed or
//    downloaded this file recently. ...</p>
//  - not shared: "You need access" / "Request access", or a redirect to accounts.google.com
//    ("Sign in"), often with 401/403.
//  - missing: 404, "Sorry, the file you have requested does not exist."
#include <array>
#include <string>

#include "agent/fetch/gdrive.hpp"
#include "agent/fetch/html_form.hpp"

namespace gpunb::data {

namespace {

constexpr size_t kMaxQuoted = 400;
constexpr std::string_view kQuota = "Too many users have viewed or downloaded this file recently";
constexpr std::string_view kMissing = "Sorry, the file you have requested does not exist.";
constexpr std::string_view kShareHint = "(in Drive: Share → General access → Anyone with the link)";

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string clip(std::string text) {
  if (text.size() > kMaxQuoted) text = text.substr(0, kMaxQuoted) + "...";
  return text;
}

// Google's hosts in a form's action are replaced by the endpoint in use (tests, proxies).
std::string rewrite_host(const GdriveEndpoint& endpoint, const std::string& action) {
  const std::array<std::pair<std::string_view, const std::string*>, 3> hosts{{
      {"https://drive.usercontent.google.com", &endpoint.usercontent},
      {"https://drive.google.com", &endpoint.drive},
      {"https://docs.google.com", &endpoint.docs},
  }};
  for (const auto& [google, ours] : hosts) {
    if (!action.starts_with(google)) continue;
    auto rest = std::string_view(action).substr(google.size());
    if (rest.empty() || rest[0] == '/' || rest[0] == '?') return *ours + std::string(rest);
  }
  return action;
}

Result<Url> target_url(const GdriveEndpoint& endpoint, const Url& page_url,
                       const std::string& action) {
  if (action.starts_with("https://") || action.starts_with("http://"))
    return Url::parse(rewrite_host(endpoint, action));
  return page_url.resolve(action.empty() ? page_url.target : action);
}

Result<HttpRequest> form_request(const GdriveEndpoint& endpoint, const Url& page_url,
                                 const HtmlForm& form) {
  auto fields = form_encode(form.fields);
  HttpRequest request;
  if (form.method == "post") {
    request.method = "POST";
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = fields;
  }
  auto action = form.action;
  if (request.method == "GET" && !fields.empty())
    action += (contains(action, "?") ? "&" : "?") + fields;
  auto url = target_url(endpoint, page_url, action);
  if (!url)
    return fail(ErrorKind::refused, "Google Drive's confirmation form has a bad action URL");
  request.url = std::move(*url);
  return request;
}

// The older confirmation page: <a id="uc-download-link" href="/uc?export=download&confirm=...">.
std::optional<std::string> download_link(std::string_view html) {
  for (const auto& tag : html_tags(html)) {
    if (tag.name == "a" && tag.attribute("id") == "uc-download-link") return tag.attribute("href");
  }
  return std::nullopt;
}

bool looks_private(const Url& page_url, std::string_view text, int status) {
  if (status == 401 || status == 403 || page_url.host == "accounts.google.com") return true;
  for (std::string_view words : {"You need access", "Request access", "You need permission",
                                 "Sign in to continue", "Sign in - Google Accounts"}) {
    if (contains(text, words)) return true;
  }
  return false;
}

// Google's own words for a page: its error caption, else its title.
std::string google_words(std::string_view html) {
  auto caption = html_element_text(html, "class", "uc-error-caption").value_or("");
  auto subcaption = html_element_text(html, "class", "uc-error-subcaption").value_or("");
  auto words =
      caption.empty() || subcaption.empty() ? caption + subcaption : caption + " " + subcaption;
  if (words.empty()) words = html_title(html).value_or("");
  return clip(words);
}

Error classify(const Url& page_url, std::string_view html, int status) {
  auto text = html_text(html);
  auto title = html_title(html).value_or("");
  if (contains(text, kQuota)) {
    auto words = html_element_text(html, "class", "uc-error-subcaption").value_or(text);
    return {ErrorKind::refused, "Google Drive refused the download: " + clip(words)};
  }
  if (status == 404 || contains(text, kMissing) || contains(title, "Not Found"))
    return {ErrorKind::not_found, "Google Drive has no such file: " + std::string(kMissing)};
  if (looks_private(page_url, text, status)) {
    auto words = title.empty() ? std::string("You need access") : clip(title);
    return {ErrorKind::refused, "the file is not shared publicly: Google Drive answered \"" +
                                    words + "\" " + std::string(kShareHint)};
  }
  auto words = google_words(html);
  return {ErrorKind::refused, "Google Drive answered with a web page instead of the file" +
                                  (words.empty() ? std::string() : ": \"" + words + "\"")};
}

}  // namespace

Result<HttpRequest> gdrive_follow_page(const GdriveEndpoint& endpoint, const Url& page_url,
                                       std::string_view html, int status) {
  if (status < 400) {
    if (auto form = html_form(html, "download-form"))
      return form_request(endpoint, page_url, *form);
    if (auto link = download_link(html)) {
      return form_request(endpoint, page_url, HtmlForm{*link, "get", {}});
    }
  }
  return tl::unexpected(classify(page_url, html, status));
}

bool gdrive_may_be_document(const Url& page_url, std::string_view html, int status) {
  auto text = html_text(html);
  return !contains(text, kQuota) && !looks_private(page_url, text, status);
}

}  // namespace gpunb::data
