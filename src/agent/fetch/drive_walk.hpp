// The request that gets the file behind a Google Drive or Google Docs source, found by asking:
// Drive's pages are followed (the large-file form) or said in Google's words (quota, access); a
// Docs, Sheets or Slides document (a docs.google.com link, or a Drive link whose answer or editor
// page says so) is exported in SPEC.format, else its kind's default (docx, xlsx, pptx).
#pragma once

#include <string>

#include "agent/fetch/spec.hpp"
#include "data/net/http.hpp"

namespace gpunb::agent {

struct GdriveTarget {
  data::HttpRequest request;
  std::string fallback_name;  // when the answer names no file: "TITLE.docx", "ID.xlsx"
};

// Kind "usage" for a format the document cannot be exported as, or --format on a plain file.
Result<GdriveTarget> resolve_gdrive(data::HttpClient& client, const FetchSpec& spec);

}  // namespace gpunb::agent
