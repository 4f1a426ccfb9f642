// Google Docs, Sheets and Slides: their links, export formats and requests, and the editor page
// that tells a Drive file's kind (agent/fetch/gdocs.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/fetch/gdocs.hpp"

namespace gpunb::data {
namespace {

constexpr const char* kDocId = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";

TEST(GdocsLink, DocsSheetsAndSlidesLinksGiveTheirKindAndId) {
  const std::string id = kDocId;
  const std::vector<std::pair<std::string, DocKind>> links{
      {"https://docs.google.com/document/d/" + id + "/edit?usp=sharing", DocKind::document},
      {"https://docs.google.com/document/d/" + id + "/", DocKind::document},
      {"docs.google.com/document/d/" + id, DocKind::document},
      {"https://docs.google.com/document/u/0/d/" + id + "/edit", DocKind::document},
      {"https://docs.google.com/a/example.org/document/d/" + id + "/edit", DocKind::document},
      {"https://docs.google.com/spreadsheets/u/1/d/" + id + "/edit", DocKind::spreadsheet},
      {"https://docs.google.com/spreadsheets/d/" + id + "/edit#gid=0", DocKind::spreadsheet},
      {"https://DOCS.GOOGLE.COM/spreadsheets/d/" + id + "/view", DocKind::spreadsheet},
      {"https://docs.google.com/presentation/d/" + id + "/edit#slide=id.p", DocKind::presentation},
      {"https://docs.google.com/presentation/d/" + id + "/export?format=pdf&id=" + id,
       DocKind::presentation},
  };
  for (const auto& [text, kind] : links) {
    auto link = gdocs_link(text);
    ASSERT_TRUE(link) << text;
    EXPECT_EQ(link->kind, kind) << text;
    EXPECT_EQ(link->id, id) << text;
  }
  for (const std::string& other :
       {"https://drive.google.com/file/d/" + id + "/view", "https://docs.google.com/uc?id=" + id,
        "https://docs.google.com/forms/d/" + id + "/edit",
        "https://docs.google.com/document/d/e/" + id + "/pub",
        "https://example.org/document/d/" + id, std::string("https://docs.google.com")}) {
    EXPECT_FALSE(gdocs_link(other)) << other;
  }
}

TEST(GdocsLink, SheetGidAndTheLinksOwnFormatAreKept) {
  auto sheet = gdocs_link(std::string("https://docs.google.com/spreadsheets/d/") + kDocId +
                          "/edit#gid=1234567");
  ASSERT_TRUE(sheet);
  EXPECT_EQ(sheet->gid, "1234567");
  EXPECT_EQ(sheet->format, std::nullopt);
  auto exported = gdocs_link(std::string("https://docs.google.com/spreadsheets/d/") + kDocId +
                             "/export?format=csv&gid=42");
  ASSERT_TRUE(exported);
  EXPECT_EQ(exported->gid, "42");
  EXPECT_EQ(exported->format, "csv");
  auto bad_gid =
      gdocs_link(std::string("https://docs.google.com/spreadsheets/d/") + kDocId + "/edit#gid=x");
  ASSERT_TRUE(bad_gid);
  EXPECT_EQ(bad_gid->gid, std::nullopt);
}

TEST(GdocsExport, EachKindHasItsOfficeDefaultAndRefusesFormatsItLacks) {
  EXPECT_EQ(export_format(DocKind::document, std::nullopt), "docx");
  EXPECT_EQ(export_format(DocKind::spreadsheet, std::nullopt), "xlsx");
  EXPECT_EQ(export_format(DocKind::presentation, std::nullopt), "pptx");
  EXPECT_EQ(export_format(DocKind::spreadsheet, "CSV"), "csv");
  EXPECT_EQ(export_format(DocKind::document, "md"), "md");
  EXPECT_EQ(export_format(DocKind::presentation, "jpg"), "jpeg");
  auto refused = export_format(DocKind::document, "csv");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::usage);
  EXPECT_EQ(refused.error().message,
            "a Google Docs document cannot be exported as 'csv': --format takes docx, odt, rtf, "
            "pdf, txt, html, epub, md");
  EXPECT_FALSE(export_format(DocKind::presentation, "xlsx"));
  EXPECT_FALSE(export_format(DocKind::spreadsheet, "docx"));
}

TEST(GdocsExport, RequestGoesToTheDocumentsExportEndpoint) {
  GdriveEndpoint google;
  auto doc = export_format(DocKind::document, std::nullopt);
  auto request = gdocs_export_request(google, DocLink{DocKind::document, kDocId}, *doc);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url.str(),
            std::string("https://docs.google.com/document/d/") + kDocId + "/export?format=docx");
  DocLink sheet{DocKind::spreadsheet, kDocId, "7"};
  EXPECT_EQ(gdocs_export_request(google, sheet, "csv").url.target,
            std::string("/spreadsheets/d/") + kDocId + "/export?format=csv&gid=7");
  EXPECT_EQ(gdocs_export_request(google, sheet, "xlsx").url.target,  // the whole workbook
            std::string("/spreadsheets/d/") + kDocId + "/export?format=xlsx");
  auto local = GdriveEndpoint::at("http://127.0.0.1:8123/");
  EXPECT_EQ(gdocs_export_request(local, DocLink{DocKind::presentation, kDocId}, "pdf").url.str(),
            std::string("http://127.0.0.1:8123/presentation/d/") + kDocId + "/export?format=pdf");
  EXPECT_EQ(gdrive_open_request(local, kDocId).url.str(),
            std::string("http://127.0.0.1:8123/open?id=") + kDocId);
}

TEST(GdocsPage, TheEditorTellsTheKindByItsTitleOrItsUrl) {
  auto any = *Url::parse("https://drive.google.com/open?id=x");
  auto doc = gdocs_page(any, "<html><head><title>Q3 report &amp; notes - Google Docs</title>");
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->kind, DocKind::document);
  EXPECT_EQ(doc->title, "Q3 report & notes");
  auto sheet = gdocs_page(any, "<title>Budget - Google Sheets</title>");
  ASSERT_TRUE(sheet);
  EXPECT_EQ(sheet->kind, DocKind::spreadsheet);
  auto by_url = gdocs_page(
      *Url::parse(std::string("https://docs.google.com/presentation/d/") + kDocId + "/edit"),
      "<title>Sign in</title>");
  ASSERT_TRUE(by_url);
  EXPECT_EQ(by_url->kind, DocKind::presentation);
  EXPECT_EQ(by_url->title, "");
  EXPECT_FALSE(gdocs_page(any, "<title>Google Drive - Virus scan warning</title>"));
  EXPECT_FALSE(gdocs_page(any, "<title>Error 500 (Server Error)!!1</title>"));
}

}  // namespace
}  // namespace gpunb::data
