// ssh::Channel against a real sshd on loopback, fed what a compromised machine might send.
#include <gtest/gtest.h>

#include <chrono>

#include "ssh/session.hpp"
#include "ssh_fixture.hpp"

namespace gpunb::testing {

class SshChannel : public SshFixture {};

TEST_F(SshChannel, ALineWithNoEndIsAnErrorNotUnboundedMemory) {
  auto session = ssh::Session::connect(options());
  ASSERT_TRUE(session);
  // 'a' for ever, never a newline (stopped by the channel's close).
  auto channel = session->exec("yes a | tr -d '\\n'");
  ASSERT_TRUE(channel) << channel.error().message;
  auto started = std::chrono::steady_clock::now();
  auto line = channel->read_line(std::chrono::seconds(60));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(line);
  EXPECT_NE(line.error().message.find("64 MiB with no end"), std::string::npos)
      << line.error().message;
  EXPECT_LT(took, std::chrono::seconds(30));  // refused when the bound is reached, not at timeout
}

}  // namespace gpunb::testing
