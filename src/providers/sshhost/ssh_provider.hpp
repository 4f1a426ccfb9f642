// Any machine reachable over SSH (`gpunb up NAME --host user@address[:port]`): no cloud at all.
// The box is never started, stopped or deleted by gpunb; `stop`/`down` only end its Jupyter.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/machine.hpp"
#include "providers/provider.hpp"

namespace gpunb::providers::sshhost {

struct HostAddress {
  std::string user;  // empty: from ~/.ssh/config or the local user
  std::string host;
  int port = 22;
};

// "user@host", "host:2222", "user@[::1]:22".
core::Result<HostAddress> parse_host(const std::string& text);

// The ledger record for a box at `address`.
core::Machine machine_for(const std::string& name, const HostAddress& address);

std::unique_ptr<Provider> make_ssh_provider();

}  // namespace gpunb::providers::sshhost
