// What a machine cost, from the ledger's events: free of I/O so tests can feed hand-made histories.
// Compute is billed while the instance runs; its EBS volume is billed from launch to termination
// (running or stopped), as AWS does. Prices are per hour and per GB-month of 730 hours.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/machine.hpp"
#include "core/prices.hpp"
#include "ledger/ledger.hpp"

namespace gpunb::app {

// The machine was in `state` over [begin, end).
struct Span {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  core::MachineState state = core::MachineState::unknown;
};

// From a machine's "state" events (oldest first), the spans clipped to [since, now]. The last
// state lasts until `now`.
std::vector<Span> state_spans(const std::vector<ledger::Event>& events, std::int64_t since,
                              std::int64_t now);

struct Usage {
  std::int64_t running_seconds = 0;
  std::int64_t stopped_seconds = 0;  // the volume exists but the instance does not run
  std::int64_t disk_seconds() const { return running_seconds + stopped_seconds; }
};
Usage usage_of(const std::vector<Span>& spans);

struct Rates {
  core::Price hourly;    // compute, dollars per hour
  core::Price gb_month;  // storage, dollars per GB-month
  int disk_gb = 0;
  bool disk_assumed = false;  // the ledger does not know the size: the configured default
};

struct Spend {
  std::optional<double> compute;  // nullopt: no price known
  std::optional<double> disk;
  double known() const { return compute.value_or(0) + disk.value_or(0); }
  bool complete() const { return compute.has_value() && disk.has_value(); }
};
Spend spend(const Usage& usage, const Rates& rates);

// What the ledger's events say about a machine besides its states (newest event wins).
struct Facts {
  std::optional<int> disk_gb;                 // "disk" events: GB of the root volume
  std::optional<int> autostop_minutes;        // "autostop" events: minutes, 0 = off
  std::optional<double> spot_price;           // "spot-price" events: dollars per hour
  bool interrupted = false;                   // an "interrupted" event (spot) since the last start
  std::optional<std::int64_t> running_since;  // start of the current running span
  std::optional<std::int64_t> last_warned;    // "cost-warning" events
};
Facts facts_of(const std::vector<ledger::Event>& events);

// A name reused after `down` also holds the older machines' events. Splits a name's events (oldest
// first) into one list per machine: a new machine begins at a "launch" event, or, in ledgers from
// before those, at a state other than terminated that follows a terminated one. Never empty.
std::vector<std::vector<ledger::Event>> incarnations(const std::vector<ledger::Event>& events);

// What a "launch" event says (detail "INSTANCE-ID TYPE [spot]"); nullopt when malformed.
struct Launch {
  std::string id;
  std::string type;
  bool spot = false;
};
std::optional<Launch> parse_launch(const std::string& detail);
std::string launch_detail(const core::Machine& machine);

// The event kinds this module reads.
inline constexpr const char* kLaunchEvent = "launch";
inline constexpr const char* kDiskEvent = "disk";
inline constexpr const char* kAutostopEvent = "autostop";
inline constexpr const char* kMaxHoursEvent = "max_hours";  // --max-hours: seconds, 0 = off
inline constexpr const char* kSpotPriceEvent = "spot-price";
inline constexpr const char* kInterruptedEvent = "interrupted";
inline constexpr const char* kWarnedEvent = "cost-warning";

}  // namespace gpunb::app
