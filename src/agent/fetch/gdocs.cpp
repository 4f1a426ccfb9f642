// Google Docs, Sheets and Slides links, their export formats and requests, and the editor page
// that tells a Drive file's kind.
#include "agent/fetch/gdocs.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "agent/fetch/google_link.hpp"
#include "agent/fetch/html_form.hpp"

namespace gpunb::data {
namespace {

struct KindInfo {
  DocKind kind;
  std::string_view path;   // the URL's segment
  std::string_view title;  // the editor page's title ends with " - " this
  std::string_view word;
};

constexpr std::array<KindInfo, 3> kKinds{{
    {DocKind::document, "document", "Google Docs", "Google Docs document"},
    {DocKind::spreadsheet, "spreadsheets", "Google Sheets", "Google Sheets spreadsheet"},
    {DocKind::presentation, "presentation", "Google Slides", "Google Slides presentation"},
}};

const KindInfo& info(DocKind kind) {
  return *std::find_if(kKinds.begin(), kKinds.end(), [&](const auto& k) { return k.kind == kind; });
}

bool digits(const std::optional<std::string>& text) {
  return text && !text->empty() && std::all_of(text->begin(), text->end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

// The kind and ID in SEGMENTS: [a DOMAIN] KIND [u N] d ID ...
std::optional<DocLink> kind_and_id(const std::vector<std::string_view>& segments) {
  size_t at = segments.size() > 2 && segments[0] == "a" ? 2 : 0;
  if (segments.size() < at + 3) return std::nullopt;
  auto kind = std::find_if(kKinds.begin(), kKinds.end(),
                           [&](const auto& k) { return segments[at] == k.path; });
  if (kind == kKinds.end()) return std::nullopt;
  size_t d = segments.size() > at + 4 && segments[at + 1] == "u" ? at + 3 : at + 1;
  if (segments.size() < d + 2 || segments[d] != "d" || !is_google_id(segments[d + 1]))
    return std::nullopt;
  return DocLink{kind->kind, std::string(segments[d + 1])};
}

}  // namespace

std::optional<DocLink> gdocs_link(std::string_view source) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (ascii_lower(source.substr(0, scheme.size())) == scheme) source.remove_prefix(scheme.size());
  }
  auto host_end = source.find_first_of("/?#");
  if (ascii_lower(source.substr(0, host_end)) != "docs.google.com" || host_end == source.npos)
    return std::nullopt;
  auto rest = source.substr(host_end);
  auto hash = rest.find('#');
  auto fragment = hash == rest.npos ? std::string_view() : rest.substr(hash + 1);
  rest = rest.substr(0, hash);
  auto question = rest.find('?');
  auto query = question == rest.npos ? std::string_view() : rest.substr(question + 1);
  auto link = kind_and_id(path_segments(rest.substr(0, question)));
  if (!link) return std::nullopt;
  auto gid = query_value(fragment, "gid");
  if (!digits(gid)) gid = query_value(query, "gid");
  if (digits(gid)) link->gid = gid;
  if (auto format = query_value(query, "format"); format && !format->empty()) link->format = format;
  return link;
}

std::string doc_kind_word(DocKind kind) {
  return std::string(info(kind).word);
}

const std::vector<std::string>& export_formats(DocKind kind) {
  static const std::vector<std::string> document{"docx", "odt",  "rtf",  "pdf",
                                                 "txt",  "html", "epub", "md"};
  static const std::vector<std::string> spreadsheet{"xlsx", "ods", "pdf", "csv", "tsv", "html"};
  static const std::vector<std::string> presentation{"pptx", "odp", "pdf", "txt",
                                                     "jpeg", "png", "svg"};
  if (kind == DocKind::spreadsheet) return spreadsheet;
  if (kind == DocKind::presentation) return presentation;
  return document;
}

Result<std::string> export_format(DocKind kind, const std::optional<std::string>& format) {
  const auto& formats = export_formats(kind);
  if (!format) return formats.front();
  auto wanted = ascii_lower(*format);
  if (wanted == "jpg") wanted = "jpeg";
  if (std::find(formats.begin(), formats.end(), wanted) != formats.end()) return wanted;
  std::string list;
  for (const auto& f : formats) list += (list.empty() ? "" : ", ") + f;
  return fail(ErrorKind::usage, "a " + doc_kind_word(kind) + " cannot be exported as '" + *format +
                                    "': --format takes " + list);
}

HttpRequest gdocs_export_request(const GdriveEndpoint& endpoint, const DocLink& link,
                                 const std::string& format) {
  std::vector<std::pair<std::string, std::string>> fields{{"format", format}};
  if (link.gid && link.kind == DocKind::spreadsheet && (format == "csv" || format == "tsv"))
    fields.emplace_back("gid", *link.gid);
  std::string text = endpoint.docs + "/" + std::string(info(link.kind).path) + "/d/" + link.id +
                     "/export?" + form_encode(fields);
  HttpRequest request;
  if (auto url = Url::parse(text)) request.url = std::move(*url);
  return request;
}

HttpRequest gdrive_open_request(const GdriveEndpoint& endpoint, const std::string& id) {
  HttpRequest request;
  if (auto url = Url::parse(endpoint.drive + "/open?" + form_encode({{"id", id}})))
    request.url = std::move(*url);
  return request;
}

std::optional<DocPage> gdocs_page(const Url& url, std::string_view html) {
  auto title = html_title(html).value_or("");
  for (const auto& kind : kKinds) {
    std::string suffix = " - " + std::string(kind.title);
    if (title.size() > suffix.size() && title.ends_with(suffix))
      return DocPage{kind.kind, title.substr(0, title.size() - suffix.size())};
  }
  auto path = std::string_view(url.target).substr(0, url.target.find('?'));
  if (auto link = kind_and_id(path_segments(path))) return DocPage{link->kind, ""};
  return std::nullopt;
}

}  // namespace gpunb::data
