#include "app/list.hpp"

#include <algorithm>
#include <set>

#include "app/machines.hpp"
#include "aws/ec2_api.hpp"

namespace gpunb::app {

namespace {

using core::MachineState;

std::set<std::string> regions_to_scan(Context& context, const std::vector<core::Machine>& known,
                                      bool all_regions) {
  std::set<std::string> regions;
  for (const auto& machine : known) {
    if (machine.state != MachineState::terminated) regions.insert(machine.region);
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

// Updates the ledger's machines of `region` from the cloud's list; returns what it lacks.
std::vector<core::Machine> reconcile(Context& context, const std::string& region,
                                     std::vector<core::Machine>& known) {
  auto cloud = core::value_or_throw(context.provider(region).list());
  for (auto& mine : known) {
    if (mine.region != region || mine.state == MachineState::terminated) continue;
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
      if (mine.user.empty()) mine.user = before.user;
      cloud.erase(it);
    }
    if (!mine.id.empty() && !same_observation(before, mine)) record(context, mine);
  }
  std::erase_if(cloud, [](const core::Machine& m) { return m.state == MachineState::terminated; });
  return cloud;
}

}  // namespace

std::vector<ListedMachine> list(Context& context, const ListRequest& request) {
  auto known = core::value_or_throw(context.ledger().all());
  std::vector<ListedMachine> listed;
  for (const auto& region : regions_to_scan(context, known, request.all_regions)) {
    for (auto& orphan : reconcile(context, region, known))
      listed.push_back({std::move(orphan), true});
  }
  for (auto& machine : known) {
    if (request.include_terminated || machine.state != MachineState::terminated) {
      listed.push_back({std::move(machine), false});
    }
  }
  std::sort(listed.begin(), listed.end(), [](const ListedMachine& a, const ListedMachine& b) {
    return a.machine.name < b.machine.name;
  });
  return listed;
}

}  // namespace gpunb::app
