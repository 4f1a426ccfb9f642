// The first SSH contact with a machine: what vouches for the host key it shows. Fails closed: a
// key nothing vouches for is refused unless the user accepts it (a prompt, --trust-first-use).
#pragma once

#include "app/context.hpp"
#include "app/progress.hpp"
#include "core/machine.hpp"
#include "ssh/session.hpp"

namespace gpunb::app {

// Fills CHECK for a machine nothing is pinned for yet: the fingerprints the user passed
// (--host-key), else on EC2 those cloud-init prints on the console (waited for up to
// --host-key-wait), else on an ssh box the user's own known_hosts and, on a terminal, a question.
void prepare_first_contact(Context& context, const core::Machine& machine, ProgressLine& progress,
                           ssh::HostKeyCheck& check);

// Says how an unpinned key came to be trusted: a warning when nothing verified it.
void report_first_contact(Context& context, const core::Machine& machine,
                          const ssh::Session& session);

}  // namespace gpunb::app
