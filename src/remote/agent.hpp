// Talking to gpunb-agent: JSON lines over one channel. The agent first prints a hello line that is
// checked strictly (protocol 1); then each call writes one request and reads its one reply.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "remote/agent_binary.hpp"
#include "remote/line_channel.hpp"

namespace gpunb::ssh {
class Session;
}

namespace gpunb::remote {

inline constexpr int kAgentProtocol = 1;

struct AgentHello {
  std::string version;
  int protocol = 0;
};

// {"agent":"gpunb-agent","version":"...","protocol":1}, or an error saying what is wrong.
core::Result<AgentHello> parse_hello(const std::string& line);

class Agent {
 public:
  // Deploys (uploads the binary once per content hash) and starts `agent serve` over SSH.
  // *UPLOADED tells whether this call uploaded it. Defined in deploy.cpp.
  static core::Result<Agent> start(ssh::Session& session, const AgentBinary& binary,
                                   bool* uploaded = nullptr);
  // Reads and checks the hello line on a channel already running `gpunb-agent serve`.
  static core::Result<Agent> attach(
      std::unique_ptr<LineChannel> channel,
      std::chrono::milliseconds hello_timeout = std::chrono::seconds(30));

  // Sends {"id":N,"op":OP,...ARGS}; returns the reply without "id" and "ok". ok:false becomes an
  // Error of the reply's kind. Replies to earlier, timed-out calls are skipped.
  core::Result<nlohmann::json> call(const std::string& op,
                                    nlohmann::json args = nlohmann::json::object(),
                                    std::chrono::milliseconds timeout = std::chrono::seconds(60));
  const AgentHello& hello() const { return hello_; }

 private:
  Agent(std::unique_ptr<LineChannel> channel, AgentHello hello)
      : channel_(std::move(channel)), hello_(std::move(hello)) {}
  core::Result<nlohmann::json> read_reply(std::int64_t id, std::chrono::milliseconds timeout);

  std::unique_ptr<LineChannel> channel_;
  AgentHello hello_;
  std::int64_t next_id_ = 1;
};

}  // namespace gpunb::remote
