#include "remote/agent.hpp"

#include "base/expected.hpp"

namespace gpunb::remote {
namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

tl::unexpected<core::Error> protocol_error(const std::string& what) {
  return core::fail(
      core::ErrorKind::internal, "gpunb-agent protocol error: " + what,
      "the agent on the machine may be damaged; `~/.gpunb/agent.log` there tells more");
}

std::chrono::milliseconds remaining(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace

core::Result<AgentHello> parse_hello(const std::string& line) {
  Json hello = Json::parse(line, nullptr, false);
  if (hello.is_discarded() || !hello.is_object()) {
    return protocol_error("expected the hello line, got: " + line.substr(0, 120));
  }
  if (hello.value("agent", "") != "gpunb-agent" || !hello["version"].is_string() ||
      !hello["protocol"].is_number_integer()) {
    return protocol_error("malformed hello line: " + line.substr(0, 120));
  }
  AgentHello parsed{hello["version"].get<std::string>(), hello["protocol"].get<int>()};
  if (parsed.protocol != kAgentProtocol) {
    return protocol_error("agent speaks protocol " + std::to_string(parsed.protocol) +
                          ", gpunb speaks " + std::to_string(kAgentProtocol));
  }
  return parsed;
}

core::Result<Agent> Agent::attach(std::unique_ptr<LineChannel> channel,
                                  std::chrono::milliseconds hello_timeout) {
  auto line = channel->read_line(hello_timeout);
  if (!line) {
    return core::fail(line.error().kind, "gpunb-agent did not start: " + line.error().message);
  }
  auto hello = parse_hello(*line);
  TRY(hello);
  return Agent(std::move(channel), std::move(*hello));
}

core::Result<Json> Agent::call(const std::string& op, Json args,
                               std::chrono::milliseconds timeout) {
  if (!args.is_object())
    return core::fail(core::ErrorKind::internal, "agent args must be an object");
  std::int64_t id = next_id_++;
  args["id"] = id;
  args["op"] = op;
  TRY(channel_->write_line(args.dump()));
  return read_reply(id, timeout);
}

core::Result<Json> Agent::read_reply(std::int64_t id, std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    auto line = channel_->read_line(remaining(deadline));
    TRY(line);
    Json reply = Json::parse(*line, nullptr, false);
    if (reply.is_discarded() || !reply.is_object() || !reply["id"].is_number_integer()) {
      return protocol_error("reply is not a JSON object with an id: " + line->substr(0, 120));
    }
    std::int64_t got = reply["id"].get<std::int64_t>();
    if (got < id) continue;  // the late reply of a call that timed out
    if (got != id) return protocol_error("reply for request " + std::to_string(got));
    if (!reply.value("ok", false)) {
      return core::fail(
          base::kind_from_name(reply.value("kind", "")).value_or(core::ErrorKind::internal),
          reply.value("error", "gpunb-agent failed without a message"));
    }
    reply.erase("id");
    reply.erase("ok");
    return reply;
  }
}

}  // namespace gpunb::remote
