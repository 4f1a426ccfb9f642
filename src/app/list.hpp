// `gpunb ls`: the ledger reconciled with the cloud, plus gpunb machines the ledger lacks.
#pragma once

#include <vector>

#include "app/context.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

struct ListedMachine {
  core::Machine machine;
  bool orphan = false;  // tagged by gpunb but not in this ledger
};

struct ListRequest {
  bool all_regions = false;  // every region the account has, not only the ledger's
  bool include_terminated = false;
};

std::vector<ListedMachine> list(Context& context, const ListRequest& request);

}  // namespace gpunb::app
