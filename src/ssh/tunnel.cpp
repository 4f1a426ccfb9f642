#include "ssh/tunnel.hpp"

#include "base/expected.hpp"
#include "ssh/tunnel_loop.hpp"

namespace gpunb::ssh {

core::Result<Tunnel> Tunnel::bind(const TunnelOptions& options) {
  if (options.remote_port <= 0 || options.remote_port > 65535) {
    return core::fail(core::ErrorKind::usage, "the tunnel needs a remote port");
  }
  auto listener = listen_local(options.bind_host, options.local_port, options.next_free_port,
                               options.avoid_ports);
  TRY(listener);
  return Tunnel(std::make_unique<Impl>(Impl{options, std::move(*listener), nullptr}));
}

Tunnel::Tunnel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tunnel::Tunnel(Tunnel&&) noexcept = default;
Tunnel& Tunnel::operator=(Tunnel&&) noexcept = default;
Tunnel::~Tunnel() = default;

int Tunnel::local_port() const {
  return impl_->listener.port;
}

core::Status Tunnel::run(Session session, const std::atomic<bool>& stop) {
  TunnelLoop loop(*impl_, std::move(session), stop);
  return loop.run();
}

}  // namespace gpunb::ssh
