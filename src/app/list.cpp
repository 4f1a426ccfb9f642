#include "app/list.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "app/cost.hpp"
#include "app/machines.hpp"
#include "aws/ec2_api.hpp"
#include "base/clock.hpp"

namespace gpunb::app {

namespace {

using core::MachineState;

std::set<std::string> regions_to_scan(Context& context, const std::vector<core::Machine>& known,
                                      bool all_regions) {
  std::set<std::string> regions;
  for (const auto& machine : known) {
    if (machine.provider == "ec2" && machine.state != MachineState::terminated)
      regions.insert(machine.region);
  }
  if (auto region = context.region_if_known()) regions.insert(*region);
  if (all_regions && !regions.empty()) {
    auto& provider = context.provider(*regions.begin());
    for (const auto& region : core::value_or_throw(provider.regions())) regions.insert(region);
  }
  return regions;
}

bool same_observation(const core::Machine& a, const core::Machine& b) {
  return a.id == b.id && a.state == b.state && a.public_ip == b.public_ip && a.type == b.type &&
         a.zone == b.zone && a.launched_at == b.launched_at;
}

bool ours_in(const std::vector<core::Machine>& known, const std::string& region) {
  return std::any_of(known.begin(), known.end(), [&](const core::Machine& m) {
    return m.provider == "ec2" && m.region == region && m.state != MachineState::terminated;
  });
}

// One region's answer: the cloud's gpunb machines, nothing (skipped, or it could not be asked),
// or the error. A region that must answer (the ledger has machines there, or it is the region in
// use) raises its error; any other region (swept by --all-regions) becomes a warning naming it.
struct RegionListing {
  bool required = false;     // the ledger has live machines there
  bool must_answer = false;  // required, or the region in use
  std::optional<std::vector<core::Machine>> machines;
  std::exception_ptr error;
};

template <typename Step>
bool guarded(RegionListing& answer, Step&& step) {
  try {
    step();
    return true;
  } catch (const std::exception&) {
    answer.error = std::current_exception();
  }
  return false;
}

core::Error error_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const core::Fatal& fatal) {
    return fatal.error();
  } catch (const std::exception& other) {
    return {core::ErrorKind::internal, other.what(), {}};
  }
}

// Making a region's provider reads the credentials: with none at all (a user of ssh hosts alone)
// a region without machines of the ledger is not asked. Credentials EC2 rejects are no such
// case: they fail when listing, and are never taken for "no machines".
bool make_provider(Context& context, const std::string& region, RegionListing& answer,
                   providers::Provider*& provider) {
  if (guarded(answer, [&] { provider = &context.provider(region); })) return true;
  auto error = error_of(answer.error);
  if (!answer.required && error.kind == core::ErrorKind::credentials) {
    context.log().debug("not listing {}: {}", region, error.message);
    answer.error = nullptr;
  }
  return false;
}

// The first error, in region order, of a region that must answer is raised; the others are
// warnings.
std::map<std::string, std::optional<std::vector<core::Machine>>> collect(
    Context& context, std::map<std::string, RegionListing>& answers) {
  for (auto& [region, answer] : answers) {
    if (answer.error && answer.must_answer) std::rethrow_exception(answer.error);
  }
  std::map<std::string, std::optional<std::vector<core::Machine>>> out;
  for (auto& [region, answer] : answers) {
    if (answer.error) {
      auto error = error_of(answer.error);
      auto hint = error.hint.empty() ? std::string() : " (" + error.hint + ")";
      context.log().warn("region {} not listed: {}{}", region, error.message, hint);
    }
    out[region] = std::move(answer.machines);
  }
  return out;
}

// Every region at once, each on a thread with its own provider (a round trip per region, not
// one after the other).
std::map<std::string, std::optional<std::vector<core::Machine>>> list_regions(
    Context& context, const std::set<std::string>& regions,
    const std::vector<core::Machine>& known) {
  struct Job {
    providers::Provider* provider;
    RegionListing& answer;
  };
  auto home = context.region_if_known();
  std::map<std::string, RegionListing> answers;
  std::vector<Job> jobs;
  for (const auto& region : regions) {
    auto& answer = answers[region];
    answer.required = ours_in(known, region);
    answer.must_answer = answer.required || region == home;
    providers::Provider* provider = nullptr;  // made here, used on the threads
    if (make_provider(context, region, answer, provider)) jobs.push_back({provider, answer});
  }
  {
    std::vector<std::jthread> threads;
    for (const auto& job : jobs) {
      auto run = [&job] {
        guarded(job.answer,
                [&job] { job.answer.machines = core::value_or_throw(job.provider->list()); });
      };
      if (jobs.size() == 1)
        run();
      else
        threads.emplace_back(run);
    }
  }
  return collect(context, answers);
}

// Updates the ledger's machines of `region` from the cloud's list; returns what it lacks.
std::vector<core::Machine> reconcile(Context& context, const std::string& region,
                                     std::vector<core::Machine> cloud,
                                     std::vector<core::Machine>& known) {
  for (auto& mine : known) {
    if (mine.provider != "ec2" || mine.region != region || mine.state == MachineState::terminated)
      continue;
    auto it = std::find_if(cloud.begin(), cloud.end(), [&](const core::Machine& seen) {
      return mine.id.empty() ? seen.name == mine.name : seen.id == mine.id;
    });
    auto before = mine;
    if (it == cloud.end()) {
      if (!mine.id.empty()) mine.state = MachineState::terminated;
    } else {
      mine = *it;
      mine.name = before.name;
      mine.client_token = before.client_token;
      mine.hourly_price = before.hourly_price;
      mine.workspace = before.workspace;
      if (mine.user.empty()) mine.user = before.user;
      cloud.erase(it);
    }
    if (!mine.id.empty() && !same_observation(before, mine)) record(context, mine);
  }
  std::erase_if(cloud, [](const core::Machine& m) { return m.state == MachineState::terminated; });
  return cloud;
}

bool interrupted_by_cloud(const core::Machine& machine) {
  return machine.spot && machine.state_reason.find("SpotInstanceTermination") != std::string::npos;
}

// The newest --max-hours setting the ledger has for the machine (seconds; 0: none).
std::int64_t max_hours_of(Context& context, const core::Machine& machine) {
  auto events = core::value_or_throw(context.ledger().events(machine.name));
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->kind != kMaxHoursEvent) continue;
    try {
      return std::stoll(it->detail);
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 0;
}

// Prices the ledger's EC2 machine; a spot interruption the cloud reports is kept as an event.
ListedMachine priced(Context& context, core::Machine machine, std::int64_t now) {
  ListedMachine listed{std::move(machine), false, std::nullopt, 0, std::nullopt, std::nullopt};
  const auto& m = listed.machine;
  if (m.provider != "ec2" || m.state == MachineState::intent) return listed;
  auto cost = machine_cost(context, m, 0, now);
  if (interrupted_by_cloud(m) && !cost.facts.interrupted) {
    core::value_or_throw(
        context.ledger().add_event(m.name, kInterruptedEvent, m.state_reason, now));
    cost.facts.interrupted = true;
  }
  if (m.state == MachineState::running) {
    auto since = m.launched_at > 0 ? m.launched_at : cost.facts.running_since.value_or(now);
    listed.uptime_seconds = std::max<std::int64_t>(0, now - since);
    listed.watch = recall_watch(context, m, now);
    if (listed.watch) listed.autostop_left_seconds = listed.watch->left_at(now);
  }
  listed.max_hours_s = max_hours_of(context, m);
  if (m.state == MachineState::running && listed.max_hours_s > 0)
    listed.max_hours_left_seconds =
        std::max<std::int64_t>(0, listed.max_hours_s - listed.uptime_seconds);
  listed.cost = std::move(cost);
  return listed;
}

}  // namespace

std::vector<ListedMachine> list(Context& context, const ListRequest& request) {
  auto known = core::value_or_throw(context.ledger().all());
  std::vector<ListedMachine> listed;
  auto regions = regions_to_scan(context, known, request.all_regions);
  for (auto& [region, cloud] : list_regions(context, regions, known)) {
    if (!cloud) continue;
    for (auto& orphan : reconcile(context, region, std::move(*cloud), known))
      listed.push_back({std::move(orphan), true, std::nullopt, 0, std::nullopt, std::nullopt});
  }
  auto now = base::unix_seconds(context.clock().now());
  for (auto& machine : known) {
    if (request.include_terminated || machine.state != MachineState::terminated) {
      listed.push_back(priced(context, std::move(machine), now));
    }
  }
  std::sort(listed.begin(), listed.end(), [](const ListedMachine& a, const ListedMachine& b) {
    return a.machine.name < b.machine.name;
  });
  return listed;
}

}  // namespace gpunb::app
