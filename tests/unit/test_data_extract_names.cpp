// data/extract's names and modes. UTF-8 names of zips (flagged UTF-8, as Python, Windows, macOS
// and 7-Zip write them), pax and GNU tar unpack under their real names in the built agent
// whatever the locale; a name that is not UTF-8 is refused naming its bytes. Modes are masked;
// empty entries count toward the entry limit. The archives: tests/unit/data/archives.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "data/archive/extract.hpp"
#include "data/archive/extract_paths.hpp"
#include "test_data_extract.hpp"

namespace gpunb::data {
namespace {

namespace fs = std::filesystem;
using gpunb::testing::ArchiveItem;
using gpunb::testing::Kind;
using gpunb::testing::read_file;
using gpunb::testing::Sandbox;

const fs::path kArchives = fs::path(GPUNB_SOURCE_DIR) / "tests/unit/data/archives";
const std::vector<std::string> kNames = {"café/naïve.txt", "日本語/データ.csv", "emoji-🙂.txt",
                                         "plain.txt"};

// `gpunb-agent extract ARCHIVE DIR` with LC_ALL=LOCALE and nothing else in its environment; its
// exit code, its stderr in ERR.
int agent_extract(const fs::path& archive, const fs::path& dir, const std::string& locale,
                  std::string& err) {
  fs::path err_file = dir.parent_path() / "err";
  std::string command = "env -i LC_ALL=" + locale + " '" GPUNB_AGENT_EXE "' extract '" +
                        archive.string() + "' '" + dir.string() + "' >/dev/null 2>'" +
                        err_file.string() + "'";
  int status = std::system(command.c_str());  // NOLINT(cert-env33-c): our own binary
  err = read_file(err_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(DataExtractNames, Utf8NamesUnpackUnderTheirNamesWhateverTheLocale) {
  for (const char* archive : {"utf8.zip", "utf8-pax.tar", "utf8-gnu.tar"}) {
    for (const char* locale : {"C", "POSIX", "C.UTF-8"}) {
      Sandbox box;
      std::string err;
      ASSERT_EQ(agent_extract(kArchives / archive, box.dir, locale, err), 0)
          << archive << " with LC_ALL=" << locale << ": " << err;
      for (const auto& name : kNames) {
        EXPECT_EQ(read_file(box.dir / name), name) << archive << " with LC_ALL=" << locale;
      }
    }
  }
}

TEST(DataExtractNames, DecomposedNamesOfMacZipsComeOutComposed) {
  Sandbox box;
  std::string err;
  ASSERT_EQ(agent_extract(kArchives / "nfd.zip", box.dir, "C", err), 0) << err;
  EXPECT_TRUE(fs::exists(box.dir / "caf\xc3\xa9.txt"));  // U+00E9, not e + U+0301
}

TEST(DataExtractNames, NamesThatAreNotUtf8AreRefusedNamingTheirBytes) {
  struct Case {
    const char* archive;
    const char* want;
  };
  for (auto [archive, want] :
       {Case{"latin1-gnu.tar",
             "refused archive entry \"caf\\xe9.txt\": the name is not valid UTF-8"},
        Case{"bad-flagged.zip",
             "refused archive entry number 2: its name is flagged UTF-8 but is not valid UTF-8"}}) {
    Sandbox box;
    std::string err;
    EXPECT_EQ(agent_extract(kArchives / archive, box.dir, "C", err), 7) << archive;
    EXPECT_NE(err.find(want), std::string::npos) << err;
    EXPECT_TRUE(fs::is_empty(box.dir)) << archive;  // ok.txt came first, and is not there
  }
}

TEST(DataExtractNames, ShownNamesAndUtf8Validity) {
  EXPECT_EQ(shown("caf\xe9\n.txt"), "\"caf\\xe9?.txt\"");
  EXPECT_EQ(shown("日本"), "\"日本\"");
  EXPECT_TRUE(is_utf8("café/日本/🙂"));
  for (const char* bad :
       {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "ab\xc3"}) {
    EXPECT_FALSE(is_utf8(bad)) << shown(bad);
  }
}

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

TEST(DataExtractModes, ModesAreMaskedNoWorldWritableNoSetId) {
  Sandbox box;
  gpunb::testing::write_archive(box.base / "a.tar", Kind::tar,
                                {{.path = "all.sh", .data = "x", .mode = 0777},
                                 {.path = "shared.txt", .data = "x", .mode = 0666},
                                 {.path = "setid", .data = "x", .mode = 06755},
                                 {.path = "sticky/", .mode = 03777, .type = AE_IFDIR},
                                 {.path = "sticky/own.txt", .data = "x", .mode = 0640}});
  auto done = extract_file(box.base / "a.tar", box.dir, {});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(mode_of(box.dir / "all.sh"), 0755u);
  EXPECT_EQ(mode_of(box.dir / "shared.txt"), 0644u);
  EXPECT_EQ(mode_of(box.dir / "setid"), 0755u);
  EXPECT_EQ(mode_of(box.dir / "sticky"), 0755u);
  EXPECT_EQ(mode_of(box.dir / "sticky/own.txt"), 0640u);
}

TEST(DataExtractModes, EmptyEntriesCountTowardTheEntryLimit) {
  for (Kind kind : {Kind::tar, Kind::zip}) {
    std::vector<ArchiveItem> items;
    for (int i = 0; i < 6; ++i)
      items.push_back({.path = "e" + std::to_string(i) + "/", .type = AE_IFDIR});
    for (int i = 0; i < 6; ++i) items.push_back({.path = "z" + std::to_string(i)});
    Sandbox box;
    gpunb::testing::write_archive(box.base / "a", kind, items);
    ExtractLimits limits;
    limits.max_entries = 10;
    auto done = extract_file(box.base / "a", box.dir, limits);
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("entry limit"), std::string::npos) << done.error().message;
    EXPECT_TRUE(fs::is_empty(box.dir));
  }
}

}  // namespace
}  // namespace gpunb::data
