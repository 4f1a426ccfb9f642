#include "app/cost.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace gpunb::app {

namespace {

using core::MachineState;

constexpr double kSecondsPerHour = 3600.0;

bool volume_exists(MachineState state) {
  return state == MachineState::pending || state == MachineState::running ||
         state == MachineState::stopping || state == MachineState::stopped ||
         state == MachineState::shutting_down;
}

template <typename T>
std::optional<T> parse_number(const std::string& text) {
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

void add_span(std::vector<Span>& spans, Span span, std::int64_t since, std::int64_t now) {
  span.begin = std::max(span.begin, since);
  span.end = std::min(span.end, now);
  if (span.end > span.begin) spans.push_back(span);
}

void read_fact(Facts& facts, const ledger::Event& event) {
  if (event.kind == kDiskEvent) {
    if (auto gb = parse_number<int>(event.detail); gb && *gb > 0) facts.disk_gb = gb;
  } else if (event.kind == kAutostopEvent) {
    if (auto minutes = parse_number<int>(event.detail); minutes && *minutes >= 0)
      facts.autostop_minutes = minutes;
  } else if (event.kind == kSpotPriceEvent) {
    if (auto price = parse_number<double>(event.detail); price && std::isfinite(*price))
      facts.spot_price = price;
  } else if (event.kind == kInterruptedEvent) {
    facts.interrupted = true;
  } else if (event.kind == kWarnedEvent) {
    facts.last_warned = event.time;
  }
}

}  // namespace

std::vector<Span> state_spans(const std::vector<ledger::Event>& events, std::int64_t since,
                              std::int64_t now) {
  std::vector<Span> spans;
  std::optional<Span> open;
  for (const auto& event : events) {
    if (event.kind != "state") continue;
    auto state = core::machine_state_from(event.detail);
    if (open && open->state == state) continue;  // the same state observed again
    if (open) {
      open->end = event.time;
      add_span(spans, *open, since, now);
    }
    open = Span{event.time, event.time, state};
  }
  if (open) {
    open->end = now;
    add_span(spans, *open, since, now);
  }
  return spans;
}

Usage usage_of(const std::vector<Span>& spans) {
  Usage usage;
  for (const auto& span : spans) {
    auto seconds = span.end - span.begin;
    if (span.state == MachineState::running)
      usage.running_seconds += seconds;
    else if (volume_exists(span.state))
      usage.stopped_seconds += seconds;
  }
  return usage;
}

Spend spend(const Usage& usage, const Rates& rates) {
  Spend out;
  if (rates.hourly.value)
    out.compute =
        *rates.hourly.value * static_cast<double>(usage.running_seconds) / kSecondsPerHour;
  if (rates.gb_month.value) {
    auto months =
        static_cast<double>(usage.disk_seconds()) / (core::kHoursPerMonth * kSecondsPerHour);
    out.disk = *rates.gb_month.value * rates.disk_gb * months;
  }
  return out;
}

std::vector<std::vector<ledger::Event>> incarnations(const std::vector<ledger::Event>& events) {
  std::vector<std::vector<ledger::Event>> out(1);
  std::optional<std::string> last_state;
  for (const auto& event : events) {
    bool launch = event.kind == kLaunchEvent;
    bool after_terminated =
        event.kind == "state" && last_state == "terminated" && event.detail != "terminated";
    if ((launch || after_terminated) && !out.back().empty()) out.emplace_back();
    if (launch) last_state.reset();
    if (event.kind == "state") last_state = event.detail;
    out.back().push_back(event);
  }
  return out;
}

std::optional<Launch> parse_launch(const std::string& detail) {
  std::istringstream in(detail);
  Launch launch;
  std::string market;
  if (!(in >> launch.id >> launch.type)) return std::nullopt;
  if (in >> market) launch.spot = market == "spot";
  return launch;
}

std::string launch_detail(const core::Machine& machine) {
  return machine.id + " " + machine.type + (machine.spot ? " spot" : "");
}

Facts facts_of(const std::vector<ledger::Event>& events) {
  Facts facts;
  std::optional<std::string> last_state;
  for (const auto& event : events) {
    if (event.kind == "state") {
      if (event.detail == "running" && last_state != "running") {
        facts.running_since = event.time;
        facts.interrupted = false;  // started again since
      }
      last_state = event.detail;
      continue;
    }
    read_fact(facts, event);
  }
  if (last_state != "running") facts.running_since.reset();
  return facts;
}

}  // namespace gpunb::app
