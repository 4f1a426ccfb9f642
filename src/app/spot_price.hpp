// The spot price a spot machine pays, from EC2's DescribeSpotPriceHistory, asked once per machine
// and then kept in the ledger as a "spot-price" event.
#pragma once

#include <optional>

#include "app/context.hpp"
#include "core/machine.hpp"

namespace gpunb::app {

// The price in the machine's zone (the lowest of the region when the zone is not listed); nullopt
// when EC2 cannot be asked (no credentials, network): a price is never worth failing a listing.
std::optional<double> spot_price(Context& context, const core::Machine& machine);

}  // namespace gpunb::app
