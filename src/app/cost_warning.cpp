#include "app/cost_warning.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "app/cost.hpp"
#include "core/prices.hpp"

namespace gpunb::app {

namespace {

constexpr int kDefaultAutostopMinutes = 60;

bool autostop_off(Context& context, const Facts& facts) {
  auto configured = context.config().autostop_minutes.value_or(kDefaultAutostopMinutes);
  return facts.autostop_minutes.value_or(configured) == 0;
}

void check(Context& context, const core::Machine& machine, std::int64_t now) {
  auto& ledger = context.ledger();
  auto facts = facts_of(incarnations(core::value_or_throw(ledger.events(machine.name))).back());
  if (!facts.running_since || !autostop_off(context, facts)) return;
  auto running = now - *facts.running_since;
  if (running < std::chrono::seconds(kUnattendedAfter).count()) return;
  if (facts.last_warned && now - *facts.last_warned < std::chrono::seconds(kWarnEvery).count())
    return;
  core::Prices prices(context.config().prices);
  auto hourly = prices.hourly(machine.region, machine.type).value;
  auto rate = hourly ? fmt::format(" at ${:.2f}/h", *hourly) : std::string();
  context.log().warn(
      "{} has been running for {}h{} with autostop off (`gpunb stop {}`, or "
      "`gpunb autostop {} 60m`)",
      machine.name, running / 3600, rate, machine.name, machine.name);
  core::value_or_throw(ledger.add_event(machine.name, kWarnedEvent, "", now));
}

}  // namespace

void warn_unattended(Context& context) {
  try {
    std::error_code ignored;
    if (!std::filesystem::exists(context.state_dir() / "ledger.db", ignored)) return;
    auto now = base::unix_seconds(context.clock().now());
    for (const auto& machine : core::value_or_throw(context.ledger().all())) {
      if (machine.provider == "ec2" && machine.state == core::MachineState::running)
        check(context, machine, now);
    }
  } catch (const std::exception& error) {
    context.log().debug("unattended-machine check skipped: {}", error.what());
  }
}

}  // namespace gpunb::app
