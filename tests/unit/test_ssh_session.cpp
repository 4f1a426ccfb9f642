#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/files.hpp"
#include "ssh/session.hpp"
#include "ssh_fixture.hpp"

namespace gpunb::testing {

namespace fs = std::filesystem;

class SshSession : public SshFixture {};

TEST_F(SshSession, RunsCommandsWithOutputExitCodeAndInput) {
  auto session = ssh::Session::connect(options());
  ASSERT_TRUE(session) << session.error().message;
  auto hi = session->run("echo hi; echo oops >&2");
  ASSERT_TRUE(hi) << hi.error().message;
  EXPECT_EQ(hi->out, "hi\n");
  EXPECT_EQ(hi->err, "oops\n");
  EXPECT_EQ(hi->exit_status, 0);
  EXPECT_EQ(session->run("exit 3")->exit_status, 3);
  auto cat = session->run("cat", "line one\nline two\n");
  ASSERT_TRUE(cat);
  EXPECT_EQ(cat->out, "line one\nline two\n");
  EXPECT_EQ(session->home(), "/root");
}

TEST_F(SshSession, RunTimesOut) {
  auto session = ssh::Session::connect(options());
  ASSERT_TRUE(session);
  auto slow = session->run("sleep 5", {}, std::chrono::milliseconds(300));
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().kind, core::ErrorKind::network);
}

TEST_F(SshSession, FirstUsePinsTheAliasThenTheSameKeyPasses) {
  auto opts = options("gpunb-i-0abc");
  auto first = ssh::Session::connect(opts);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->host_fingerprint(), sshd_->fingerprint());
  auto pins = base::read_file(opts.host_key.known_hosts).value();
  EXPECT_TRUE(pins.starts_with("gpunb-i-0abc ssh-ed25519 AAAA")) << pins;
  struct stat info {};
  ASSERT_EQ(::stat(opts.host_key.known_hosts.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(opts.host_key.known_hosts.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  auto second = ssh::Session::connect(opts);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(base::read_file(opts.host_key.known_hosts).value(), pins);  // not pinned twice
}

TEST_F(SshSession, NeverWritesTheUsersKnownHosts) {
  auto before = base::read_file("/root/.ssh/known_hosts");
  ASSERT_TRUE(ssh::Session::connect(options()));
  EXPECT_FALSE(fs::exists(fs::path(std::getenv("HOME")) / ".ssh" / "known_hosts"));
  EXPECT_EQ(base::read_file("/root/.ssh/known_hosts"), before);
}

TEST_F(SshSession, ChangedHostKeyIsRefusedUntilForgotten) {
  Sshd other(dir_ / "sshd", key_.public_openssh);
  other.start("key_a");
  auto opts = options("gpunb-rebuilt");
  opts.port = other.port();
  opts.host_key.forget_name = "mybox";
  ASSERT_TRUE(ssh::Session::connect(opts));
  other.stop();
  other.start("key_b");  // same port, another host key
  auto refused = ssh::Session::connect(opts);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, core::ErrorKind::refused);
  EXPECT_NE(refused.error().message.find("host key of gpunb-rebuilt changed"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find(other.fingerprint("key_b")), std::string::npos);
  EXPECT_NE(refused.error().hint.find("gpunb forget-host mybox"), std::string::npos);
  EXPECT_EQ(ssh::forget_host(opts.host_key.known_hosts, "gpunb-rebuilt").value(), true);
  EXPECT_EQ(ssh::forget_host(opts.host_key.known_hosts, "gpunb-rebuilt").value(), false);
  auto again = ssh::Session::connect(opts);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->host_fingerprint(), other.fingerprint("key_b"));
}

TEST_F(SshSession, ExpectedFingerprintsDecideTheFirstPinEvenWithTrustOnFirstUse) {
  auto opts = options("gpunb-cloud");
  opts.host_key.expected_fingerprints = {"SHA256:notthisone"};
  auto refused = ssh::Session::connect(opts);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, core::ErrorKind::refused);
  EXPECT_NE(refused.error().message.find("is not the one the cloud reported; nothing was pinned"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().hint.find("someone may be intercepting the connection"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(opts.host_key.known_hosts));
  opts.host_key.expected_fingerprints = {"SHA256:notthisone", sshd_->fingerprint()};
  opts.host_key.trust_first_use = false;
  auto session = ssh::Session::connect(opts);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->host_key_trust(), ssh::HostKeyTrust::vouched);
  EXPECT_TRUE(fs::exists(opts.host_key.known_hosts));
}

TEST_F(SshSession, UnverifiedKeyIsRefusedBeforeAnyAuthentication) {
  auto opts = options();
  opts.host_key.trust_first_use = false;
  opts.host_key.unverified_reason = "no fingerprints within 5m";
  opts.host_key.unverified_hint = "retry later";
  auto log_before = sshd_->sshd_log().size();
  auto refused = ssh::Session::connect(opts);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, core::ErrorKind::refused);
  EXPECT_NE(refused.error().message.find(sshd_->fingerprint() + " of [127.0.0.1]:"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("is not verified: no fingerprints within 5m"),
            std::string::npos);
  EXPECT_EQ(refused.error().hint, "retry later");
  EXPECT_FALSE(fs::exists(opts.host_key.known_hosts));
  // sshd saw the connection end before any authentication: our public key never left
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (sshd_->sshd_log().substr(log_before).find("preauth") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto seen = sshd_->sshd_log().substr(log_before);
  EXPECT_NE(seen.find("preauth"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("publickey"), std::string::npos) << seen;
}

TEST_F(SshSession, TrustOnFirstUseIsToldToTheCaller) {
  auto session = ssh::Session::connect(options("gpunb-tofu"));
  ASSERT_TRUE(session);
  EXPECT_EQ(session->host_key_trust(), ssh::HostKeyTrust::first_use);
  auto again = ssh::Session::connect(options("gpunb-tofu"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->host_key_trust(), ssh::HostKeyTrust::pinned);
}

TEST_F(SshSession, ConfirmationDecidesAKeyNothingVouchesFor) {
  auto opts = options("gpunb-asked");
  opts.host_key.trust_first_use = false;
  std::string shown;
  opts.host_key.confirm = [&shown](const ssh::HostKey& key, const std::string& target) {
    shown = key.fingerprint + " " + target;
    return false;
  };
  auto refused = ssh::Session::connect(opts);
  ASSERT_FALSE(refused);
  EXPECT_EQ(shown, sshd_->fingerprint() + " [127.0.0.1]:" + std::to_string(sshd_->port()));
  EXPECT_FALSE(fs::exists(opts.host_key.known_hosts));
  opts.host_key.confirm = [](const ssh::HostKey&, const std::string&) { return true; };
  auto session = ssh::Session::connect(opts);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(session->host_key_trust(), ssh::HostKeyTrust::confirmed);
  EXPECT_TRUE(fs::exists(opts.host_key.known_hosts));
}

TEST_F(SshSession, NetworkErrorNamesHostAndPort) {
  auto opts = options();
  opts.port = free_port();
  auto failed = ssh::Session::connect(opts);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, core::ErrorKind::network);
  EXPECT_NE(failed.error().message.find("127.0.0.1:" + std::to_string(opts.port)),
            std::string::npos)
      << failed.error().message;
}

TEST_F(SshSession, NoAcceptedKeyIsACredentialsError) {
  auto stranger = ssh::load_or_create_key(dir_ / "stranger" / "id_ed25519");
  ASSERT_TRUE(stranger);
  auto opts = options();
  opts.identities = {stranger->private_path};
  auto failed = ssh::Session::connect(opts);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, core::ErrorKind::credentials);
  EXPECT_EQ(failed.error().message, "SSH: no key was accepted by root@127.0.0.1");
}

TEST_F(SshSession, KeyReadableByOthersIsIgnored) {
  auto copy = dir_ / "loose_key";
  fs::copy_file(key_.private_path, copy);
  fs::permissions(copy, fs::perms(0644));
  auto opts = options();
  opts.identities = {copy};
  auto failed = ssh::Session::connect(opts);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, core::ErrorKind::credentials);
  EXPECT_NE(failed.error().hint.find("chmod 600"), std::string::npos);
}

TEST_F(SshSession, ChannelStreamsLines) {
  auto session = ssh::Session::connect(options());
  ASSERT_TRUE(session);
  auto channel =
      session->exec("echo ready; while read line; do echo \"got $line\"; done; echo bye >&2");
  ASSERT_TRUE(channel) << channel.error().message;
  auto timeout = std::chrono::seconds(5);
  EXPECT_EQ(channel->read_line(timeout).value(), "ready");
  ASSERT_TRUE(channel->write("one\ntwo\n"));
  EXPECT_EQ(channel->read_line(timeout).value(), "got one");
  EXPECT_EQ(channel->read_line(timeout).value(), "got two");
  EXPECT_FALSE(channel->read_line(std::chrono::milliseconds(100)));  // nothing more yet
  ASSERT_TRUE(channel->send_eof());
  EXPECT_FALSE(channel->read_line(timeout));  // ended
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (channel->exit_status() == -1 && std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_EQ(channel->exit_status(), 0);
  EXPECT_EQ(channel->error_output(), "bye\n");
}

TEST(SshConsole, ParsesCloudInitFingerprints) {
  std::string console =
      "[   12.3] cloud-init[1234]: Generating public/private rsa key pair.\r\n"
      "ec2: \r\n"
      "ec2: #############################################################\r\n"
      "ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----\r\n"
      "ec2: 256 SHA256:AbCdEf0123456789+/xyzXYZabc0123456789abcdE root@ip-172-31-1-2 (ECDSA)\r\n"
      "ec2: 256 SHA256:ZZZ9876543210zyxwvuTSRQPONMLKJIHGFEDCBA/+0 root@ip-172-31-1-2 (ED25519)\r\n"
      "ec2: 3072 SHA256:rsaRSArsa0123456789012345678901234567890ab root@ip-172-31-1-2 (RSA)\r\n"
      "ec2: -----END SSH HOST KEY FINGERPRINTS-----\r\n"
      "ec2: #############################################################\r\n"
      "SHA256:outsideTheBlockIsIgnored\n";
  auto found = ssh::fingerprints_from_console(console);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0], "SHA256:AbCdEf0123456789+/xyzXYZabc0123456789abcdE");
  EXPECT_EQ(found[1], "SHA256:ZZZ9876543210zyxwvuTSRQPONMLKJIHGFEDCBA/+0");
  EXPECT_EQ(found[2], "SHA256:rsaRSArsa0123456789012345678901234567890ab");
  EXPECT_TRUE(ssh::fingerprints_from_console("no block here SHA256:x").empty());
  EXPECT_TRUE(
      ssh::fingerprints_from_console("-----BEGIN SSH HOST KEY FINGERPRINTS-----\n256 SHA256:cut")
          .empty());
}

}  // namespace gpunb::testing
