#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/hash.hpp"
#include "ssh/keys.hpp"
#include "util/fs.hpp"

namespace gpunb::ssh {

namespace {
std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("gpunb-keys-" + base::random_hex(6));
  std::filesystem::create_directories(dir);
  return dir;
}
}  // namespace

TEST(SshKeys, CreatesPrivateEd25519KeyOnceAndReloadsIt) {
  auto dir = temp_dir();
  auto path = dir / "keys" / "id_ed25519";
  auto made = load_or_create_key(path);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->public_openssh.rfind("ssh-ed25519 AAAA", 0), 0U);
  EXPECT_EQ(made->fingerprint.rfind("SHA256:", 0), 0U);
  EXPECT_FALSE(util::readable_by_others(path));
  struct stat info {};
  ASSERT_EQ(::stat(path.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700U);
  auto again = load_or_create_key(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_openssh, made->public_openssh);
  EXPECT_EQ(fingerprint_of(made->public_openssh), made->fingerprint);
  std::filesystem::remove_all(dir);
}

TEST(SshKeys, RefusesAKeyOthersCanRead) {
  auto dir = temp_dir();
  auto path = dir / "id_ed25519";
  ASSERT_TRUE(load_or_create_key(path));
  ::chmod(path.c_str(), 0644);
  auto refused = load_or_create_key(path);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, core::ErrorKind::refused);
  EXPECT_NE(refused.error().hint.find("chmod 600"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(SshKeys, FingerprintOfGarbageIsEmpty) {
  EXPECT_EQ(fingerprint_of("not a key"), "");
}

}  // namespace gpunb::ssh
