// Agent::start: the SSH side of the agent (upload once per content hash, then `serve`).
#include "base/expected.hpp"
#include "remote/agent.hpp"
#include "ssh/session.hpp"

namespace gpunb::remote {
namespace {

class SshLineChannel : public LineChannel {
 public:
  explicit SshLineChannel(ssh::Channel channel) : channel_(std::move(channel)) {}
  core::Status write_line(std::string_view line) override {
    std::string data(line);
    data += '\n';
    return channel_.write(data);
  }
  core::Result<std::string> read_line(std::chrono::milliseconds timeout) override {
    return channel_.read_line(timeout);
  }

 private:
  ssh::Channel channel_;
};

core::Status upload_once(ssh::Session& session, const AgentBinary& binary, bool* uploaded) {
  auto sftp = session.sftp();
  TRY(sftp);
  if (auto ok = sftp->mkdir_p("~/.gpunb", 0700); !ok) return ok;
  auto exists = sftp->exists(binary.remote_path());
  TRY(exists);
  if (uploaded != nullptr) *uploaded = !*exists;
  if (*exists) return {};
  return sftp->upload(binary.local, binary.remote_path(), 0700);  // temp file + rename
}

}  // namespace

core::Result<Agent> Agent::start(ssh::Session& session, const AgentBinary& binary, bool* uploaded) {
  if (auto ok = upload_once(session, binary, uploaded); !ok) {
    return core::fail(ok.error().kind, "cannot upload gpunb-agent: " + ok.error().message,
                      ok.error().hint);
  }
  auto channel = session.exec(binary.serve_command());
  TRY(channel);
  return attach(std::make_unique<SshLineChannel>(std::move(*channel)));
}

}  // namespace gpunb::remote
