#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "ssh/session.hpp"
#include "ssh_fixture.hpp"

namespace gpunb::testing {

namespace fs = std::filesystem;

class SshSftp : public SshFixture {
 protected:
  void SetUp() override {
    SshFixture::SetUp();
    session_.emplace(ssh::Session::connect(options()).value());
    remote_ = "~/gpunb-sftp-test-" +
              std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    session_->run("rm -rf " + remote_);
  }
  void TearDown() override { session_->run("rm -rf " + remote_); }

  std::optional<ssh::Session> session_;
  std::string remote_;
};

TEST_F(SshSftp, MkdirExistsWriteRead) {
  auto sftp = session_->sftp();
  ASSERT_TRUE(sftp) << sftp.error().message;
  EXPECT_EQ(sftp->canonical("~").value(), "/root");
  EXPECT_EQ(sftp->exists(remote_ + "/a/b").value(), false);
  ASSERT_TRUE(sftp->mkdir_p(remote_ + "/a/b", 0700));
  ASSERT_TRUE(sftp->mkdir_p(remote_ + "/a/b", 0700));  // again: no error
  EXPECT_EQ(sftp->exists(remote_ + "/a/b").value(), true);
  ASSERT_TRUE(sftp->write_file(remote_ + "/a/b/f.txt", "hello\n", 0640));
  EXPECT_EQ(sftp->read_file(remote_ + "/a/b/f.txt").value(), "hello\n");
  ASSERT_TRUE(sftp->write_file(remote_ + "/a/b/f.txt", "replaced\n", 0600));  // over a file
  EXPECT_EQ(sftp->read_file(remote_ + "/a/b/f.txt").value(), "replaced\n");
  auto listing = session_->run("ls -A " + remote_ + "/a/b; stat -c %a " + remote_ + "/a/b/f.txt");
  EXPECT_EQ(listing->out, "f.txt\n600\n");  // no temp file left behind
  EXPECT_FALSE(sftp->read_file(remote_ + "/missing"));
}

TEST_F(SshSftp, UploadGoesThroughATempNameAndIsFast) {
  auto local = dir_ / "binary";
  std::string content(5 * 1024 * 1024, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7919 % 251);
  std::ofstream(local, std::ios::binary) << content;
  auto sftp = session_->sftp();
  ASSERT_TRUE(sftp->mkdir_p(remote_, 0700));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(sftp->upload(local, remote_ + "/agent", 0755));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(3));
  auto check = session_->run("sha256sum < " + remote_ + "/agent; stat -c %a " + remote_ + "/agent");
  auto expected = command_output("sha256sum < " + local.string());
  EXPECT_EQ(check->out, expected + "755\n");
  auto log = sshd_->log();
  auto name = "/root/" + remote_.substr(2) + "/agent";
  EXPECT_NE(log.find("open \"" + name + ".tmp-"), std::string::npos) << log;
  EXPECT_NE(log.find("new \"" + name + "\""), std::string::npos);  // the rename into place
  ASSERT_TRUE(sftp->upload(local, remote_ + "/agent", 0700));      // over the old one
  EXPECT_EQ(session_->run("ls -A " + remote_)->out, "agent\n");
}

}  // namespace gpunb::testing
