// Google Drive: link forms, the first request, and the pages Google answers with (fixtures in
// tests/unit/data/gdrive/, the markup tests/tools/gdrive_origin.py serves).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "agent/fetch/gdrive.hpp"
#include "agent/fetch/html_form.hpp"

namespace gpunb::data {
namespace {

constexpr const char* kId = "1tGdADlNjWFaHLeZZGShh2IRcpO6Lv24h";

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(GPUNB_SOURCE_DIR) + "/tests/unit/data/gdrive/" + name,
                   std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

Url url(const std::string& text) {
  auto parsed = Url::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Url{});
}

TEST(GdriveLink, EveryCommonFormGivesTheId) {
  const std::string id = kId;
  const std::vector<std::string> forms = {
      "https://drive.google.com/file/d/" + id + "/view?usp=sharing",
      "https://drive.google.com/file/d/" + id + "/view?usp=share_link",
      "https://drive.google.com/file/d/" + id + "/view",
      "https://drive.google.com/file/d/" + id,
      "https://drive.google.com/file/d/" + id + "/",
      "https://drive.google.com/file/d/" + id + "/edit#heading",
      "https://drive.google.com/file/u/0/d/" + id + "/view?resourcekey=0-AbCdEf",
      "https://drive.google.com/open?id=" + id,
      "https://drive.google.com/uc?id=" + id,
      "https://drive.google.com/uc?id=" + id + "&export=download",
      "https://drive.google.com/uc?export=download&id=" + id,
      "https://drive.google.com/u/0/uc?id=" + id + "&export=download",
      "https://docs.google.com/uc?export=download&id=" + id,
      "https://drive.usercontent.google.com/download?id=" + id,
      "https://drive.usercontent.google.com/download?id=" + id + "&export=download&confirm=t",
      "https://drive.google.com/file/d/" + id + "/view?usp=drive_link&resourcekey=0-xYz",
      "http://drive.google.com/file/d/" + id + "/view",
      "HTTPS://DRIVE.GOOGLE.COM/file/d/" + id + "/view",
      "drive.google.com/file/d/" + id + "/view?usp=sharing",
      id,
      "0B7EVK8r0v71pZjFTYXZWM3FlRnM",
  };
  for (const auto& form : forms) {
    auto found = gdrive_file_id(form);
    ASSERT_TRUE(found.has_value()) << form;
    EXPECT_EQ(*found, form == "0B7EVK8r0v71pZjFTYXZWM3FlRnM" ? form : id) << form;
    EXPECT_TRUE(is_gdrive_source(form)) << form;
  }
}

TEST(GdriveLink, OtherTextIsNotADriveSource) {
  const std::string id = kId;
  for (const std::string& text :
       {std::string(), std::string("short_id"), std::string("data/train.csv"),
        std::string("my_dataset_v2_final_copy"), std::string("s3://bucket/") + id,
        std::string("https://example.com/file/d/") + id,
        std::string("https://drive.google.com/file/d/short/view"),
        std::string("https://drive.google.com/drive/folders/") + id,
        std::string("https://drive.google.com/uc?export=download"), id + " ", id + "/x"}) {
    EXPECT_FALSE(gdrive_file_id(text).has_value()) << text;
    EXPECT_FALSE(is_gdrive_source(text)) << text;
  }
}

TEST(GdriveLink, ResourceKeyComesFromTheLink) {
  EXPECT_EQ(gdrive_resource_key(std::string("https://drive.google.com/file/d/") + kId +
                                "/view?usp=sharing&resourcekey=0-AbC_dEf"),
            "0-AbC_dEf");
  EXPECT_FALSE(gdrive_resource_key(std::string("https://drive.google.com/file/d/") + kId +
                                   "/view?usp=sharing")
                   .has_value());
  EXPECT_FALSE(gdrive_resource_key(kId).has_value());
}

TEST(GdriveRequest, FirstRequestGoesToUsercontentDownload) {
  auto request = gdrive_request(GdriveEndpoint{}, kId);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url.scheme, "https");
  EXPECT_EQ(request.url.host, "drive.usercontent.google.com");
  EXPECT_EQ(request.url.target, std::string("/download?id=") + kId + "&export=download");
  auto keyed = gdrive_request(GdriveEndpoint{}, kId, "0-AbC");
  EXPECT_EQ(keyed.url.target,
            std::string("/download?id=") + kId + "&export=download&resourcekey=0-AbC");
}

TEST(GdriveRequest, EndpointFromTheEnvironmentReplacesBothHosts) {
  ::setenv("GPUNB_GDRIVE_ENDPOINT", "http://127.0.0.1:8123/", 1);
  auto endpoint = GdriveEndpoint::from_env();
  ::unsetenv("GPUNB_GDRIVE_ENDPOINT");
  EXPECT_EQ(endpoint.drive, "http://127.0.0.1:8123");
  EXPECT_EQ(endpoint.usercontent, "http://127.0.0.1:8123");
  EXPECT_EQ(endpoint.docs, "http://127.0.0.1:8123");
  auto request = gdrive_request(endpoint, kId);
  EXPECT_EQ(request.url.host, "127.0.0.1");
  EXPECT_EQ(request.url.port, 8123);
  EXPECT_EQ(GdriveEndpoint::from_env().usercontent, "https://drive.usercontent.google.com");
}

const std::string kVirusScanNext = std::string("/download?id=") + kId +
                                   "&export=download&confirm=t&uuid=153b954f-b486-4de3-8fad-"
                                   "3b9d86bd6525&at=AEz70l4V2o9mS-c_eQ0NnX%3A1718000000000";

TEST(GdrivePage, VirusScanFormBecomesTheNextRequest) {
  auto page = url(std::string("https://drive.usercontent.google.com/download?id=") + kId);
  auto next = gdrive_follow_page(GdriveEndpoint{}, page, fixture("virus_scan.html"));
  ASSERT_TRUE(next.has_value()) << next.error().message;
  EXPECT_EQ(next->method, "GET");
  EXPECT_EQ(next->url.host, "drive.usercontent.google.com");
  EXPECT_EQ(next->url.scheme, "https");
  EXPECT_EQ(next->url.target, kVirusScanNext);
}

TEST(GdrivePage, VirusScanFormActionIsRewrittenToTheEndpoint) {
  GdriveEndpoint endpoint{"http://127.0.0.1:9000", "http://127.0.0.1:9000"};
  auto page = url(std::string("http://127.0.0.1:9000/download?id=") + kId);
  auto next = gdrive_follow_page(endpoint, page, fixture("virus_scan.html"));
  ASSERT_TRUE(next.has_value()) << next.error().message;
  EXPECT_EQ(next->url.host, "127.0.0.1");
  EXPECT_EQ(next->url.port, 9000);
  EXPECT_EQ(next->url.target, kVirusScanNext);
}

TEST(GdrivePage, OlderDownloadAnywayLinkIsResolvedAgainstThePage) {
  auto page = url("https://drive.google.com/uc?id=0B7EVK8r0v71pZjFTYXZWM3FlRnM&export=download");
  auto next = gdrive_follow_page(GdriveEndpoint{}, page, fixture("old_confirm.html"));
  ASSERT_TRUE(next.has_value()) << next.error().message;
  EXPECT_EQ(next->url.host, "drive.google.com");
  EXPECT_EQ(next->url.target, "/uc?export=download&confirm=Xk2P&id=0B7EVK8r0v71pZjFTYXZWM3FlRnM");
}

TEST(GdrivePage, QuotaPageIsRefusedWithGooglesSentence) {
  auto page = url(std::string("https://drive.usercontent.google.com/download?id=") + kId);
  for (int status : {200, 403}) {
    auto next = gdrive_follow_page(GdriveEndpoint{}, page, fixture("quota.html"), status);
    ASSERT_FALSE(next.has_value());
    EXPECT_EQ(next.error().kind, ErrorKind::refused);
    EXPECT_NE(next.error().message.find(
                  "Too many users have viewed or downloaded this file recently. Please try "
                  "accessing the file again later. If the file you are trying to access is "
                  "particularly large or is shared with many people, it may take up to 24 hours"),
              std::string::npos)
        << next.error().message;
    EXPECT_NE(next.error().message.find("can't access a file after 24 hours"), std::string::npos);
  }
}

void expect_not_shared(const Result<HttpRequest>& next) {
  ASSERT_FALSE(next.has_value());
  EXPECT_EQ(next.error().kind, ErrorKind::refused);
  EXPECT_NE(next.error().message.find("the file is not shared publicly"), std::string::npos)
      << next.error().message;
  EXPECT_NE(next.error().message.find("Share → General access → Anyone with the link"),
            std::string::npos);
}

TEST(GdrivePage, PermissionPagesSayTheFileIsNotShared) {
  auto download = url(std::string("https://drive.usercontent.google.com/download?id=") + kId);
  expect_not_shared(
      gdrive_follow_page(GdriveEndpoint{}, download, fixture("need_access.html"), 403));
  expect_not_shared(gdrive_follow_page(GdriveEndpoint{}, download, fixture("need_access.html")));
  auto login = url("https://accounts.google.com/ServiceLogin?service=wise&passive=1209600");
  expect_not_shared(gdrive_follow_page(GdriveEndpoint{}, login, fixture("sign_in.html")));
  auto local_login = url("http://127.0.0.1:9000/ServiceLogin?service=wise");
  expect_not_shared(gdrive_follow_page(GdriveEndpoint{}, local_login, fixture("sign_in.html")));
  expect_not_shared(gdrive_follow_page(GdriveEndpoint{}, download, "<html></html>", 401));
}

TEST(GdrivePage, MissingFilesAreNotFound) {
  auto download = url(std::string("https://drive.usercontent.google.com/download?id=") + kId);
  for (const auto& [name, status] : std::vector<std::pair<std::string, int>>{
           {"google_404.html", 404}, {"drive_missing.html", 404}, {"drive_missing.html", 200}}) {
    auto next = gdrive_follow_page(GdriveEndpoint{}, download, fixture(name), status);
    ASSERT_FALSE(next.has_value()) << name;
    EXPECT_EQ(next.error().kind, ErrorKind::not_found) << name;
    EXPECT_NE(next.error().message.find("does not exist"), std::string::npos);
  }
}

TEST(GdrivePage, AnyOtherPageIsAFailureNeverTheFile) {
  auto download = url(std::string("https://drive.usercontent.google.com/download?id=") + kId);
  auto next = gdrive_follow_page(GdriveEndpoint{}, download,
                                 "<!DOCTYPE html><html><head><title>Google Drive - Something "
                                 "else</title></head><body><p>Hello</p></body></html>");
  ASSERT_FALSE(next.has_value());
  EXPECT_EQ(next.error().kind, ErrorKind::refused);
  EXPECT_NE(next.error().message.find("Something else"), std::string::npos);
  // A confirmation form on an error status is not followed.
  auto failed = gdrive_follow_page(GdriveEndpoint{}, download, fixture("virus_scan.html"), 500);
  EXPECT_FALSE(failed.has_value());
}

TEST(HtmlForm, FieldsAttributesAndEntities) {
  auto html =
      "<script>var s = '<form id=\"download-form\">';</script><!-- <form id=download-form> -->"
      "<FORM ID=download-form Action='/x?a=1&amp;b=2' method=GET><input type=hidden name=id "
      "value=abc><input type=\"text\" name=ignored value=1><input type=\"hidden\" name=\"q\" "
      "value=\"a&amp;b &#39;c&#x27; &quot;d&quot; &eacute;\"><input type=hidden value=no-name>"
      "</form><input type=hidden name=outside value=1>";
  auto form = html_form(html, "download-form");
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->action, "/x?a=1&b=2");
  EXPECT_EQ(form->method, "get");
  ASSERT_EQ(form->fields.size(), 2u);
  EXPECT_EQ(form->fields[0], (std::pair<std::string, std::string>{"id", "abc"}));
  EXPECT_EQ(form->fields[1].second, "a&b 'c' \"d\" &eacute;");
  EXPECT_EQ(form_encode(form->fields), "id=abc&q=a%26b%20%27c%27%20%22d%22%20%26eacute%3B");
  EXPECT_FALSE(html_form(html, "other").has_value());
}

TEST(HtmlForm, TextTitleAndNumericEntities) {
  EXPECT_EQ(html_text("<p>a <b>b</b>\n\n c&#233;&#x2192;</p><script>x()</script>"), "a b cé→");
  EXPECT_EQ(html_title("<html><head><TITLE>Google Drive - Quota exceeded</TITLE>"),
            "Google Drive - Quota exceeded");
  EXPECT_EQ(html_element_text(fixture("quota.html"), "class", "uc-error-caption"),
            "Sorry, you can't view or download this file at this time.");
  EXPECT_EQ(html_unescape("&amp;amp; &#0; &bogus; &"), "&amp; &#0; &bogus; &");
}

}  // namespace
}  // namespace gpunb::data
