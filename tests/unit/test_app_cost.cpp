#include <gtest/gtest.h>

#include "app/cost.hpp"
#include "app/cost_report.hpp"

namespace gpunb::app {

namespace {

constexpr std::int64_t kT0 = 1725148800;  // 2024-09-01T00:00:00Z
constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 24 * kHour;

ledger::Event state(std::int64_t time, const char* name) {
  return {"box", time, "state", name};
}

// g5.xlarge running 2.5 h, then stopped for 30 days, with a 100 GB gp3 volume.
std::vector<ledger::Event> history() {
  return {state(kT0, "pending"), state(kT0, "running"), state(kT0 + 5 * kHour / 2, "stopping"),
          state(kT0 + 5 * kHour / 2, "stopped")};
}

Rates g5_rates() {
  Rates rates;
  rates.hourly = {1.006, core::PriceSource::table};
  rates.gb_month = {0.08, core::PriceSource::table};
  rates.disk_gb = 100;
  return rates;
}

}  // namespace

TEST(Cost, HandComputedCase) {
  auto now = kT0 + 5 * kHour / 2 + 30 * kDay;
  auto usage = usage_of(state_spans(history(), 0, now));
  EXPECT_EQ(usage.running_seconds, 9000);
  EXPECT_EQ(usage.stopped_seconds, 30 * kDay);
  auto spent = spend(usage, g5_rates());
  // compute: 1.006 $/h x 2.5 h = 2.515 $; disk: 100 GB x 0.08 $ x (2.5 h + 720 h) / 730 h
  EXPECT_NEAR(*spent.compute, 2.515, 1e-9);
  EXPECT_NEAR(*spent.disk, 8.0 * 722.5 / 730.0, 1e-9);
  EXPECT_NEAR(spent.known(), 10.43280822, 1e-6);
  EXPECT_TRUE(spent.complete());
}

TEST(Cost, SinceClipsTheHistory) {
  auto now = kT0 + 10 * kDay;
  auto usage = usage_of(state_spans(history(), kT0 + kHour, now));
  EXPECT_EQ(usage.running_seconds, 5400);
  EXPECT_EQ(usage.stopped_seconds, now - (kT0 + 5 * kHour / 2));
}

TEST(Cost, TerminatedCostsNothingMore) {
  auto events = history();
  events.push_back(state(kT0 + kDay, "terminated"));
  auto usage = usage_of(state_spans(events, 0, kT0 + 100 * kDay));
  EXPECT_EQ(usage.running_seconds, 9000);
  EXPECT_EQ(usage.stopped_seconds, kDay - 9000);
}

TEST(Cost, RepeatedObservationsAndOtherEventsAreIgnored) {
  std::vector<ledger::Event> events = {state(kT0, "running"),
                                       {"box", kT0 + 10, "disk", "250"},
                                       state(kT0 + 100, "running"),
                                       state(kT0 + kHour, "stopped")};
  auto spans = state_spans(events, 0, kT0 + kHour);
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_EQ(spans[0].end - spans[0].begin, kHour);
}

TEST(Cost, UnknownPriceLeavesThatPartOut) {
  auto rates = g5_rates();
  rates.hourly = {};
  auto spent = spend(Usage{kHour, 0}, rates);
  EXPECT_FALSE(spent.compute);
  EXPECT_FALSE(spent.complete());
  EXPECT_NEAR(spent.known(), 8.0 / 730.0, 1e-12);
}

TEST(Cost, FactsFromEvents) {
  std::vector<ledger::Event> events = {
      state(kT0, "running"),
      {"box", kT0 + 1, "disk", "250"},
      {"box", kT0 + 2, "autostop", "30"},
      {"box", kT0 + 3, "spot-price", "0.3712"},
      {"box", kT0 + 4, "autostop", "0"},
      state(kT0 + 5, "stopping"),
      {"box", kT0 + 5, "interrupted", "Server.SpotInstanceTermination"}};
  auto facts = facts_of(events);
  EXPECT_EQ(facts.disk_gb, 250);
  EXPECT_EQ(facts.autostop_minutes, 0);
  EXPECT_EQ(facts.spot_price, 0.3712);
  EXPECT_TRUE(facts.interrupted);
  EXPECT_FALSE(facts.running_since);
  events.push_back(state(kT0 + 100, "running"));
  facts = facts_of(events);
  EXPECT_FALSE(facts.interrupted);
  EXPECT_EQ(facts.running_since, kT0 + 100);
}

TEST(Cost, ANameReusedAfterDownStartsANewHistory) {
  auto events = history();
  events.push_back({"box", kT0 + kDay, "autostop", "0"});
  events.push_back(state(kT0 + kDay, "terminated"));
  // A ledger from before launch events: the machine after a termination is a new one.
  auto old_style = events;
  old_style.push_back(state(kT0 + 2 * kDay, "pending"));
  old_style.push_back(state(kT0 + 2 * kDay + 60, "running"));
  auto parts = incarnations(old_style);
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[0].size(), events.size());
  auto facts = facts_of(parts[1]);
  EXPECT_FALSE(facts.autostop_minutes);
  EXPECT_EQ(facts.running_since, kT0 + 2 * kDay + 60);
  auto usage = usage_of(state_spans(parts[1], 0, kT0 + 2 * kDay + 3660));
  EXPECT_EQ(usage.running_seconds, kHour);
  EXPECT_EQ(usage.stopped_seconds, 60);

  // With launch events: each begins a machine, and names its id and type.
  events.push_back({"box", kT0 + 3 * kDay, "launch", "i-0abc g6.xlarge spot"});
  events.push_back(state(kT0 + 3 * kDay, "pending"));
  events.push_back({"box", kT0 + 3 * kDay, "disk", "200"});
  parts = incarnations(events);
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[1].front().kind, "launch");
  EXPECT_EQ(facts_of(parts[1]).disk_gb, 200);
  auto launch = parse_launch(parts[1].front().detail);
  ASSERT_TRUE(launch);
  EXPECT_EQ(launch->id, "i-0abc");
  EXPECT_EQ(launch->type, "g6.xlarge");
  EXPECT_TRUE(launch->spot);
  EXPECT_FALSE(parse_launch("i-0abc"));
  EXPECT_EQ(incarnations({}).size(), 1U);
}

TEST(Cost, ParseDate) {
  EXPECT_EQ(parse_date("2024-09-01"), kT0);
  EXPECT_EQ(parse_date("2024-09-01T01:00:00Z"), kT0 + kHour);
  EXPECT_FALSE(parse_date("2024-9-1"));
  EXPECT_FALSE(parse_date("2024-13-01"));
  EXPECT_FALSE(parse_date("yesterday"));
}

}  // namespace gpunb::app
