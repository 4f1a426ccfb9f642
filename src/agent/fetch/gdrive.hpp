// Google Drive share links: every common form to a file ID, the download URL, and the pages
// Google answers with instead of the file (the large-file "can't scan for viruses" form, the
// quota page, the not-shared page). The endpoint is overridable (tests never contact Google).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "data/net/http.hpp"

namespace gpunb::data {

// https://drive.google.com/file/d/ID/view?usp=sharing, /file/d/ID, open?id=ID, uc?id=ID&export=
// download, https://drive.usercontent.google.com/download?id=ID, or a bare ID.
// Also: /u/N/ account prefixes (drive.google.com/u/0/uc?id=ID, /file/u/0/d/ID), docs.google.com,
// links without a scheme, any other query parameters (usp, export, resourcekey, confirm).
// IDs are [A-Za-z0-9_-]{10,}; a bare ID only when the whole string is one.
std::optional<std::string> gdrive_file_id(std::string_view source);
bool is_gdrive_source(std::string_view source);
// The resourcekey= of a link (files shared before 2021's security update need it), if any.
std::optional<std::string> gdrive_resource_key(std::string_view source);

struct GdriveEndpoint {  // $GPUNB_GDRIVE_ENDPOINT replaces all three (tests: http://127.0.0.1:PORT)
  std::string drive = "https://drive.google.com";
  std::string usercontent = "https://drive.usercontent.google.com";
  std::string docs = "https://docs.google.com";  // Docs, Sheets and Slides exports
  static GdriveEndpoint from_env();
  static GdriveEndpoint at(const std::string& base);  // every host replaced by BASE
};

// The first request for file ID: GET {usercontent}/download?id=ID&export=download (plus
// &resourcekey=KEY when given). This is where drive.google.com/uc?id=ID redirects today, so one
// round trip is saved; small files come straight back (Content-Disposition: attachment), large ones
// answer with the virus-scan form that gdrive_follow_page turns into the next request. No
// confirm=t is guessed: the form's own fields (confirm, uuid, at) are what Google checks.
HttpRequest gdrive_request(const GdriveEndpoint& endpoint, const std::string& id,
                           const std::optional<std::string>& resource_key = std::nullopt);

// What an HTML answer means: the next request (the confirmation form's action with all its
// hidden inputs), or a failure with Google's own words (kind "refused" for quota and permission,
// "not_found" for a missing file), never the page saved as the file.
// The form's action on Google's hosts is rewritten to the endpoint (tests); a relative one is
// resolved against PAGE_URL. STATUS (the page's HTTP status, 200 when unknown) tells 404 from
// 401/403 when the page itself says little.
Result<HttpRequest> gdrive_follow_page(const GdriveEndpoint& endpoint, const Url& page_url,
                                       std::string_view html, int status = 200);
// Whether a page that is neither the form, the quota page nor an access refusal may be Drive's
// answer for a Google Docs, Sheets or Slides document (a 404 or 5xx, an unknown page): its editor
// ({drive}/open?id=ID) then tells.
bool gdrive_may_be_document(const Url& page_url, std::string_view html, int status);

}  // namespace gpunb::data
