#include "agent/fetch/drive_walk.hpp"

#include <optional>

#include "agent/fetch/gdocs.hpp"
#include "base/expected.hpp"

namespace gpunb::agent {
namespace {

constexpr size_t kMaxPage = size_t{4} << 20;
constexpr int kMaxHops = 6;

bool is_html(const data::HttpHead& head) {
  auto type = data::header(head.headers, "content-type").value_or("");
  return type.rfind("text/html", 0) == 0;
}

struct Answer {
  data::HttpHead head;
  std::string page;  // the body when it is HTML (else not read)
  bool html = false;
};

Result<Answer> ask(data::HttpClient& client, const data::HttpRequest& request) {
  Answer answer;
  auto head = client.send(
      request, [&](const data::HttpHead& h) -> Result<bool> { return answer.html = is_html(h); },
      [&](const char* data, size_t size) -> Status {
        if (answer.page.size() + size > kMaxPage)
          return fail(ErrorKind::refused, "Google Drive page too large");
        answer.page.append(data, size);
        return {};
      });
  TRY(head);
  answer.head = std::move(*head);
  return answer;
}

class Walk {
 public:
  Walk(data::HttpClient& client, const FetchSpec& spec) : client_(client), spec_(spec) {}

  Result<GdriveTarget> run() {
    if (spec_.doc) {
      TRY(export_as(*spec_.doc, ""));
    } else {
      request_ = data::gdrive_request(spec_.gdrive, *spec_.gdrive_id);
    }
    for (int hop = 0; hop < kMaxHops; ++hop) {
      auto answer = ask(client_, request_);
      TRY(answer);
      if (!answer->html) return target();
      auto next = next_request(*answer);
      if (!next) return tl::unexpected(next.error());
    }
    return fail(ErrorKind::refused, "Google Drive kept answering with pages instead of the file");
  }

 private:
  Result<GdriveTarget> target() const {
    if (!exporting_ && spec_.format) {
      return fail(ErrorKind::usage,
                  "--format is for Google Docs, Sheets and Slides; this Drive file is a plain "
                  "file (fetch it without --format)");
    }
    return GdriveTarget{request_, fallback_};
  }

  // The request after an HTML answer: a document's export, the form's confirmation, the editor
  // that tells a document (once, when the page may be a document's), or Google's refusal.
  Status next_request(const Answer& answer) {
    const auto& url = answer.head.url;
    if (!exporting_) {
      if (auto page = data::gdocs_page(url, answer.page))
        return export_as({page->kind, *spec_.gdrive_id}, page->title);
    }
    auto next = data::gdrive_follow_page(spec_.gdrive, url, answer.page, answer.head.status);
    if (next) {
      request_ = std::move(*next);
      return {};
    }
    if (exporting_ || !data::gdrive_may_be_document(url, answer.page, answer.head.status))
      return tl::unexpected(next.error());  // quota, access: Google's words, whoever said them
    if (refusal_) return tl::unexpected(*refusal_);
    refusal_ = next.error();  // said if the editor does not tell a document either
    request_ = data::gdrive_open_request(spec_.gdrive, *spec_.gdrive_id);
    return {};
  }

  Status export_as(const data::DocLink& link, const std::string& title) {
    auto format = data::export_format(link.kind, spec_.format ? spec_.format : link.format);
    TRY(format);
    request_ = data::gdocs_export_request(spec_.gdrive, link, *format);
    fallback_ = (title.empty() ? link.id : title) + "." + (*format == "html" ? "zip" : *format);
    exporting_ = true;
    return {};
  }

  data::HttpClient& client_;
  const FetchSpec& spec_;
  data::HttpRequest request_;
  std::string fallback_;
  bool exporting_ = false;
  std::optional<Error> refusal_;  // the download's own answer, kept while the editor is asked
};

}  // namespace

Result<GdriveTarget> resolve_gdrive(data::HttpClient& client, const FetchSpec& spec) {
  return Walk(client, spec).run();
}

}  // namespace gpunb::agent
