// Finding the agent to upload, and naming it by content.
#include <gtest/gtest.h>

#include <fstream>

#include "base/files.hpp"
#include "base/hash.hpp"
#include "base/strings.hpp"
#include "remote/agent_binary.hpp"

namespace gpunb::remote {
namespace {

TEST(RemoteAgentBinary, GpunbAgentVariableWins) {
  util::MapEnv env(std::map<std::string, std::string>{{"GPUNB_AGENT", GPUNB_AGENT_EXE}});
  auto binary = find_agent_binary(env);
  ASSERT_TRUE(binary) << binary.error().message;
  EXPECT_EQ(binary->local, GPUNB_AGENT_EXE);
  std::string expected = base::hex(base::sha256(*base::read_file(GPUNB_AGENT_EXE))).substr(0, 16);
  EXPECT_EQ(binary->hash, expected);
  EXPECT_EQ(binary->remote_path(), "~/.gpunb/agent-" + expected);
  EXPECT_EQ(binary->serve_command(), "~/.gpunb/agent-" + expected + " serve");
}

TEST(RemoteAgentBinary, MissingOrNotAnExecutable) {
  auto missing = agent_binary_at("/nonexistent/gpunb-agent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, core::ErrorKind::not_found);
  std::string text_file = ::testing::TempDir() + "gpunb-agent-not-elf";
  std::ofstream(text_file) << "#!/bin/sh\n";
  auto not_elf = agent_binary_at(text_file);
  ASSERT_FALSE(not_elf);
  EXPECT_EQ(not_elf.error().kind, core::ErrorKind::usage);
}

TEST(RemoteAgentBinary, DefaultIsNextToTheRunningProgram) {
  util::MapEnv env(std::map<std::string, std::string>{});
  auto binary = find_agent_binary(env);  // unit_tests lives in the build dir, as gpunb does
  ASSERT_TRUE(binary) << binary.error().message;
  EXPECT_EQ(binary->local.filename(), "gpunb-agent");
}

}  // namespace
}  // namespace gpunb::remote
