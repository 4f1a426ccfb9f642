// The gpunb-agent executable to upload, named on the machine by its content hash, so a new build
// is uploaded once and an old agent is never mistaken for the new one.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "util/env.hpp"

namespace gpunb::remote {

struct AgentBinary {
  std::filesystem::path local;
  std::string hash;  // the first 16 hex digits of its SHA-256

  std::string remote_path() const { return "~/.gpunb/agent-" + hash; }
  std::string serve_command() const { return remote_path() + " serve"; }
};

// $GPUNB_AGENT when set, else `gpunb-agent` next to the running gpunb.
core::Result<AgentBinary> find_agent_binary(const util::Env& env);
core::Result<AgentBinary> agent_binary_at(const std::filesystem::path& path);

}  // namespace gpunb::remote
