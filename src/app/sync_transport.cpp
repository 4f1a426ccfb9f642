// The agent-backed SyncTransport: waiting for the transfer layer (remote/transfer).
#include "app/sync.hpp"

namespace gpunb::app {

std::unique_ptr<SyncTransport> agent_transport(ssh::Session& /*session*/, remote::Agent& /*agent*/,
                                               const std::string& /*remote_root*/,
                                               const std::filesystem::path& /*local_root*/) {
  throw core::Fatal({core::ErrorKind::internal, "sync transport not built yet"});
}

}  // namespace gpunb::app
