// The guard against a forgotten machine: every command warns once a day about each machine that
// has been running longer than a threshold with autostop off.
#pragma once

#include <chrono>

#include "app/context.hpp"

namespace gpunb::app {

inline constexpr std::chrono::hours kUnattendedAfter{8};
inline constexpr std::chrono::hours kWarnEvery{24};

// From the ledger alone (no cloud call; nothing when there is no ledger yet). Never throws: a
// warning is not worth failing the command it rides on.
void warn_unattended(Context& context);

}  // namespace gpunb::app
