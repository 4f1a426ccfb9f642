#include "app/cost_report.hpp"

#include <charconv>
#include <ctime>

#include "app/spot_price.hpp"

namespace gpunb::app {

namespace {

constexpr int kDefaultDiskGb = 100;
constexpr int kDefaultAutostopMinutes = 60;

// `ask`: a spot price the ledger lacks may be asked of EC2 (not for machines long gone).
core::Price hourly_price(Context& context, const core::Machine& machine, const Facts& facts,
                         const core::Prices& prices, bool ask) {
  auto price = prices.hourly(machine.region, machine.type);
  if (price.source == core::PriceSource::config) return price;
  if (machine.spot) {
    auto spot = facts.spot_price ? facts.spot_price
                : ask            ? spot_price(context, machine)
                                 : std::nullopt;
    return spot ? core::Price{spot, core::PriceSource::spot} : core::Price{};
  }
  if (machine.hourly_price) return {machine.hourly_price, core::PriceSource::config};
  return price;
}

Rates rates_for(Context& context, const core::Machine& machine, const Facts& facts, bool ask) {
  const auto& config = context.config();
  core::Prices prices(config.prices);
  Rates rates;
  rates.hourly = hourly_price(context, machine, facts, prices, ask);
  rates.gb_month = prices.gp3_per_gb_month(machine.region);
  rates.disk_gb = facts.disk_gb.value_or(config.disk_gb.value_or(kDefaultDiskGb));
  rates.disk_assumed = !facts.disk_gb.has_value();
  return rates;
}

std::optional<int> digits(std::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  auto part = text.substr(at, count);
  auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (error != std::errc() || end != part.data() + part.size()) return std::nullopt;
  return value;
}

MachineCost priced(Context& context, const core::Machine& machine,
                   const std::vector<ledger::Event>& events, std::int64_t since, std::int64_t now,
                   bool ask) {
  MachineCost cost;
  cost.machine = machine;
  cost.facts = facts_of(events);
  cost.rates = rates_for(context, machine, cost.facts, ask);
  cost.usage = usage_of(state_spans(events, since, now));
  cost.spend = spend(cost.usage, cost.rates);
  cost.autostop_from_ledger = cost.facts.autostop_minutes.has_value();
  cost.autostop_minutes = cost.facts.autostop_minutes.value_or(
      context.config().autostop_minutes.value_or(kDefaultAutostopMinutes));
  return cost;
}

// An earlier machine of the same name, as far as its events tell (its launch event, when the
// ledger has one, names its id and type; else the current row's are assumed).
core::Machine earlier_machine(const core::Machine& current,
                              const std::vector<ledger::Event>& events) {
  core::Machine machine = current;
  machine.state = core::MachineState::terminated;
  machine.public_ip.clear();
  for (const auto& event : events) {
    if (event.kind == "state") machine.state = core::machine_state_from(event.detail);
    if (event.kind != kLaunchEvent) continue;
    if (auto launch = parse_launch(event.detail)) {
      machine.id = launch->id;
      machine.type = launch->type;
      machine.spot = launch->spot;
    }
  }
  return machine;
}

}  // namespace

MachineCost machine_cost(Context& context, const core::Machine& machine, std::int64_t since,
                         std::int64_t now) {
  auto all = incarnations(core::value_or_throw(context.ledger().events(machine.name)));
  return priced(context, machine, all.back(), since, now, true);
}

CostReport cost_report(Context& context, std::int64_t since) {
  CostReport report;
  report.since = since;
  report.now = base::unix_seconds(context.clock().now());
  for (const auto& machine : core::value_or_throw(context.ledger().all())) {
    if (machine.provider != "ec2" || machine.state == core::MachineState::intent) continue;
    auto all = incarnations(core::value_or_throw(context.ledger().events(machine.name)));
    for (size_t i = 0; i < all.size(); ++i) {
      bool current = i + 1 == all.size();
      // An earlier machine ended where the next began, whatever its last state says.
      auto cost = current ? priced(context, machine, all[i], since, report.now, true)
                          : priced(context, earlier_machine(machine, all[i]), all[i], since,
                                   all[i + 1].front().time, false);
      if (!current && cost.usage.disk_seconds() == 0) continue;  // nothing within --since
      report.total += cost.spend.known();
      report.complete = report.complete && cost.spend.complete();
      report.machines.push_back(std::move(cost));
    }
  }
  return report;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  bool date_only = text.size() == 10;
  bool full =
      text.size() == 20 && text[10] == 'T' && text[13] == ':' && text[16] == ':' && text[19] == 'Z';
  if ((!date_only && !full) || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  if (!year || !month || !day || *month < 1 || *month > 12 || *day < 1 || *day > 31)
    return std::nullopt;
  std::tm utc{};
  utc.tm_year = *year - 1900;
  utc.tm_mon = *month - 1;
  utc.tm_mday = *day;
  if (full) {
    auto hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
    if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60)
      return std::nullopt;
    utc.tm_hour = *hour;
    utc.tm_min = *minute;
    utc.tm_sec = *second;
  }
  return static_cast<std::int64_t>(timegm(&utc));
}

}  // namespace gpunb::app
