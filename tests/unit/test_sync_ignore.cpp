#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sync/ignore.hpp"
#include "sync/wildmatch.hpp"

namespace gpunb::sync {

namespace {

struct WildCase {
  const char* pattern;
  const char* text;
  bool match;
};

// From git's t3070-wildmatch.sh, the pathname-mode column.
const WildCase kWildCases[] = {
    {"foo", "foo", true},
    {"bar", "foo", false},
    {"", "", true},
    {"???", "foo", true},
    {"??", "foo", false},
    {"*", "foo", true},
    {"f*", "foo", true},
    {"*f", "foo", false},
    {"*foo*", "foo", true},
    {"*ob*a*r*", "foobar", true},
    {"*ab", "aaaaaaabababab", true},
    {"foo\\*", "foo*", true},
    {"foo\\*bar", "foobar", false},
    {"f\\\\oo", "f\\oo", true},
    {"*[al]?", "ball", true},
    {"[ten]", "ten", false},
    {"**[!te]", "ten", true},
    {"**[!ten]", "ten", false},
    {"t[a-g]n", "ten", true},
    {"t[!a-g]n", "ten", false},
    {"t[!a-g]n", "ton", true},
    {"t[^a-g]n", "ton", true},
    {"a[]]b", "a]b", true},
    {"a[]-]b", "a-b", true},
    {"a[]-]b", "a]b", true},
    {"a[]-]b", "aab", false},
    {"a[]a-]b", "aab", true},
    {"]", "]", true},
    {"foo*bar", "foo/baz/bar", false},
    {"foo**bar", "foo/baz/bar", false},
    {"foo**bar", "foobazbar", true},
    {"foo/**/bar", "foo/baz/bar", true},
    {"foo/**/**/bar", "foo/baz/bar", true},
    {"foo/**/bar", "foo/b/a/z/bar", true},
    {"foo/**/bar", "foo/bar", true},
    {"foo/**/**/bar", "foo/bar", true},
    {"foo?bar", "foo/bar", false},
    {"foo[/]bar", "foo/bar", false},
    {"foo[^a-z]bar", "foo/bar", false},
    {"f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo/bar", false},
    {"f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo-bar", true},
    {"**/foo", "foo", true},
    {"**/foo", "XXX/foo", true},
    {"**/foo", "bar/baz/foo", true},
    {"*/foo", "bar/baz/foo", false},
    {"**/bar*", "foo/bar/baz", false},
    {"**/bar/*", "deep/foo/bar/baz", true},
    {"**/bar/*", "deep/foo/bar/baz/", false},
    {"**/bar/**", "deep/foo/bar/baz/", true},
    {"**/bar/*", "deep/foo/bar", false},
    {"**/bar/**", "deep/foo/bar/", true},
    {"**/bar**", "foo/bar/baz", false},
    {"*/bar/**", "foo/bar/baz/x", true},
    {"*/bar/**", "deep/foo/bar/baz/x", false},
    {"**/bar/*/*", "deep/foo/bar/baz/x", true},
    {"*/*/*", "foo/bba/arr", true},
    {"*/*/*", "foo/bb/aa/rr", false},
    {"**/**/**", "foo/bb/aa/rr", true},
    {"*X*i", "abcXdefXghi", true},
    {"*/*X*/*/*i", "ab/cXd/efXg/hi", true},
    {"**/*X*/**/*i", "ab/cXd/efXg/hi", true},
    {"XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*",
     "XXX/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1", true},
    {"[[:alpha:]][[:digit:]][[:upper:]]", "a1B", true},
    {"[[:digit:][:upper:][:space:]]", "a", false},
    {"[[:digit:][:upper:][:space:]]", "A", true},
    {"[[:digit:][:upper:][:space:]]", "1", true},
    {"[[:digit:][:upper:][:spaci:]]", "1", false},
    {"[[:xdigit:]]", "5", true},
    {"[a-c[:digit:]x-z]", "5", true},
    {"[a-c[:digit:]x-z]", "q", false},
    {"[abc", "a", false},  // unclosed bracket: no match
    {"foo/*", "foo/bar/baz", false},
};

TEST(SyncWildmatch, FollowsGitCases) {
  for (const auto& c : kWildCases) {
    EXPECT_EQ(wildmatch(c.pattern, c.text), c.match) << c.pattern << " vs " << c.text;
  }
}

TEST(SyncIgnoreParse, ReadsFlags) {
  IgnoreRule rule;
  ASSERT_TRUE(parse_ignore_line("!/build/", rule));
  EXPECT_EQ(rule.pattern, "build");
  EXPECT_TRUE(rule.negated);
  EXPECT_TRUE(rule.dir_only);
  EXPECT_TRUE(rule.anchored);
  ASSERT_TRUE(parse_ignore_line("*.log", rule));
  EXPECT_FALSE(rule.negated || rule.dir_only || rule.anchored);
  ASSERT_TRUE(parse_ignore_line("a/b", rule));
  EXPECT_TRUE(rule.anchored);
  EXPECT_FALSE(parse_ignore_line("# comment", rule));
  EXPECT_FALSE(parse_ignore_line("   ", rule));
  EXPECT_FALSE(parse_ignore_line("", rule));
  EXPECT_FALSE(parse_ignore_line("/", rule));
}

TEST(SyncIgnore, CommentsBlankLinesAndEscapes) {
  auto ignore = Ignore::parse("# a comment\n\n*.log\n\\#hash\n\\!bang\n");
  EXPECT_TRUE(ignore.excludes("run.log", false));
  EXPECT_TRUE(ignore.excludes("#hash", false));
  EXPECT_TRUE(ignore.excludes("!bang", false));
  EXPECT_FALSE(ignore.excludes("# a comment", false));
  EXPECT_FALSE(ignore.excludes("bang", false));
  EXPECT_FALSE(ignore.excludes("notes.ipynb", false));
}

TEST(SyncIgnore, NegationLastMatchWins) {
  auto reinclude = Ignore::parse("*.log\n!keep.log\n");
  EXPECT_TRUE(reinclude.excludes("a.log", false));
  EXPECT_FALSE(reinclude.excludes("keep.log", false));
  EXPECT_FALSE(reinclude.excludes("sub/keep.log", false));
  auto reversed = Ignore::parse("!keep.log\n*.log\n");
  EXPECT_TRUE(reversed.excludes("keep.log", false));
}

TEST(SyncIgnore, TrailingSlashMeansFoldersOnly) {
  auto ignore = Ignore::parse("build/\n");
  EXPECT_TRUE(ignore.matches("build", true));
  EXPECT_FALSE(ignore.matches("build", false));
  EXPECT_TRUE(ignore.matches("a/b/build", true));
  EXPECT_TRUE(ignore.excludes("build/out.o", false));
  EXPECT_FALSE(ignore.excludes("notbuild/out.o", false));
}

TEST(SyncIgnore, LeadingSlashAnchors) {
  auto ignore = Ignore::parse("/todo.txt\n");
  EXPECT_TRUE(ignore.excludes("todo.txt", false));
  EXPECT_FALSE(ignore.excludes("sub/todo.txt", false));
}

TEST(SyncIgnore, MiddleSlashAnchorsToo) {
  auto ignore = Ignore::parse("doc/frotz\nfrotz2\n");
  EXPECT_TRUE(ignore.excludes("doc/frotz", false));
  EXPECT_FALSE(ignore.excludes("a/doc/frotz", false));
  EXPECT_TRUE(ignore.excludes("frotz2", false));
  EXPECT_TRUE(ignore.excludes("a/b/frotz2", false));
}

TEST(SyncIgnore, StarQuestionAndBrackets) {
  auto ignore = Ignore::parse("data?.csv\n[abc].txt\n*.tmp\n");
  EXPECT_TRUE(ignore.excludes("data1.csv", false));
  EXPECT_FALSE(ignore.excludes("data10.csv", false));
  EXPECT_TRUE(ignore.excludes("b.txt", false));
  EXPECT_FALSE(ignore.excludes("d.txt", false));
  EXPECT_TRUE(ignore.excludes("x/y/z.tmp", false));
}

TEST(SyncIgnore, DoubleStarForms) {
  auto leading = Ignore::parse("**/foo\n**/cache/data\n");
  EXPECT_TRUE(leading.excludes("foo", false));
  EXPECT_TRUE(leading.excludes("a/b/foo", true));
  EXPECT_TRUE(leading.excludes("cache/data", false));
  EXPECT_TRUE(leading.excludes("x/cache/data", false));
  auto trailing = Ignore::parse("abc/**\n");
  EXPECT_FALSE(trailing.matches("abc", true));
  EXPECT_TRUE(trailing.excludes("abc/x", false));
  EXPECT_TRUE(trailing.excludes("abc/x/y", false));
  EXPECT_FALSE(trailing.excludes("abcd/x", false));
  auto middle = Ignore::parse("a/**/b\n");
  EXPECT_TRUE(middle.excludes("a/b", false));
  EXPECT_TRUE(middle.excludes("a/x/b", false));
  EXPECT_TRUE(middle.excludes("a/x/y/b", false));
  EXPECT_FALSE(middle.excludes("a/x/c", false));
}

TEST(SyncIgnore, SingleStarStaysInItsFolder) {
  auto ignore = Ignore::parse("foo/*\n");
  EXPECT_TRUE(ignore.matches("foo/test.json", false));
  EXPECT_TRUE(ignore.matches("foo/bar", true));
  EXPECT_FALSE(ignore.matches("foo/bar/hello.c", false));
  EXPECT_TRUE(ignore.excludes("foo/bar/hello.c", false));  // through its excluded folder
}

TEST(SyncIgnore, FileInExcludedFolderCannotBeReincluded) {
  auto folder = Ignore::parse("logs/\n!logs/keep.txt\n");
  EXPECT_TRUE(folder.excludes("logs/keep.txt", false));
  auto contents = Ignore::parse("logs/*\n!logs/keep.txt\n");
  EXPECT_FALSE(contents.excludes("logs/keep.txt", false));
  EXPECT_TRUE(contents.excludes("logs/other.txt", false));
}

TEST(SyncIgnore, TrailingSpacesAndCrlf) {
  auto ignore = Ignore::parse("foo   \r\nbar\\ \r\n");
  EXPECT_TRUE(ignore.excludes("foo", false));
  EXPECT_TRUE(ignore.excludes("bar ", false));
  EXPECT_FALSE(ignore.excludes("bar", false));
}

TEST(SyncIgnore, DefaultSkips) {
  Ignore ignore;
  EXPECT_TRUE(ignore.excludes(".ipynb_checkpoints/a-checkpoint.ipynb", false));
  EXPECT_TRUE(ignore.excludes("sub/__pycache__/m.pyc", false));
  EXPECT_TRUE(ignore.excludes(".git/config", false));
  EXPECT_TRUE(ignore.excludes("vendor/lib/.git", true));
  EXPECT_TRUE(ignore.excludes("submodule/.git", false));
  EXPECT_FALSE(ignore.excludes(".gitignore", false));
  EXPECT_FALSE(ignore.excludes(".gpunbignore", false));
  EXPECT_FALSE(ignore.excludes("__pycache__", false));  // a file of that name travels
}

TEST(SyncIgnore, DefaultsCanBeNegatedButNotGit) {
  auto ignore = Ignore::parse("!__pycache__/\n!.git/\n");
  EXPECT_FALSE(ignore.excludes("__pycache__/m.pyc", false));
  EXPECT_TRUE(ignore.excludes(".git/HEAD", false));
}

TEST(SyncIgnore, LoadsFromWorkspaceRoot) {
  auto root =
      std::filesystem::temp_directory_path() / ("gpunb-sync-ignore-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  auto defaults = Ignore::load(root);
  ASSERT_TRUE(defaults);
  EXPECT_FALSE(defaults->excludes("big.bin", false));
  std::ofstream(root / ".gpunbignore") << "*.bin\n";
  auto loaded = Ignore::load(root);
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded->excludes("big.bin", false));
  EXPECT_TRUE(loaded->excludes("__pycache__/x", false));
  std::filesystem::remove_all(root);
}

}  // namespace

}  // namespace gpunb::sync
