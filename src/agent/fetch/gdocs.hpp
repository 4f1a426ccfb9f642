// Google Docs, Sheets and Slides are not files but documents Google exports on request:
// GET {docs}/document/d/ID/export?format=docx (spreadsheets, presentation alike). Their links
// (docs.google.com/document|spreadsheets|presentation/d/ID/...) are exported directly; a Drive
// link to one is told by the page Drive answers with, or by the editor {drive}/open?id=ID leads
// to. The export comes with the document's own name (Content-Disposition).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/fetch/gdrive.hpp"

namespace gpunb::data {

enum class DocKind { document, spreadsheet, presentation };

struct DocLink {
  DocKind kind = DocKind::document;
  std::string id;
  std::optional<std::string> gid;     // one sheet of a spreadsheet (#gid=N, ?gid=N)
  std::optional<std::string> format;  // an export link's own ?format=F
};

// docs.google.com/{document,spreadsheets,presentation}/d/ID/{edit,view,export,...}, also with
// /a/DOMAIN/ before the kind or /u/N/ after it, without a scheme, with any query or fragment.
std::optional<DocLink> gdocs_link(std::string_view source);
std::string doc_kind_word(DocKind kind);  // "Google Docs document", "... spreadsheet", ...

// What KIND exports to, the default first: document docx odt rtf pdf txt html epub md;
// spreadsheet xlsx ods pdf csv tsv html; presentation pptx odp pdf txt jpeg png svg.
const std::vector<std::string>& export_formats(DocKind kind);
// FORMAT (any case) when KIND exports it, KIND's default when none; else kind "usage" with the
// formats it has.
Result<std::string> export_format(DocKind kind, const std::optional<std::string>& format);

// GET {docs}/KIND/d/ID/export?format=FORMAT (&gid=GID for a spreadsheet's csv or tsv).
HttpRequest gdocs_export_request(const GdriveEndpoint& endpoint, const DocLink& link,
                                 const std::string& format);
// GET {drive}/open?id=ID: Google sends a document to its editor, whose page tells its kind.
HttpRequest gdrive_open_request(const GdriveEndpoint& endpoint, const std::string& id);

struct DocPage {
  DocKind kind;
  std::string title;  // the document's name, without " - Google Docs"
};
// A Docs, Sheets or Slides editor page: by its title ("NAME - Google Sheets") or, failing that,
// by its URL (/spreadsheets/d/ID/...).
std::optional<DocPage> gdocs_page(const Url& url, std::string_view html);

}  // namespace gpunb::data
