// A week of notebook work on one g5.xlarge, replayed on a simulated clock against four idle rules:
// gpunb's (the agent's own IdlePolicy, linked from src/agent/watch/idle_policy.cpp), none, a
// SkyPilot-style rule (idle = no SSH session and no job of its queue, default 5 minutes) and a
// dstack-style rule (idle = no connection, here 60 minutes). Prints what each costs and how often
// it stopped the machine under running work. Deterministic: a fixed seed and our own generator.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/watch/idle_policy.hpp"

namespace {

using gpunb::agent::Seconds;

constexpr Seconds kMinute = 60;
constexpr Seconds kHour = 60 * kMinute;
constexpr Seconds kDay = 24 * kHour;
constexpr Seconds kStep = 30;            // the simulated sampling interval
constexpr double kPricePerHour = 1.006;  // g5.xlarge, us-east-1, on demand

// splitmix64: the same numbers on every platform (std:: distributions are not portable).
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  Seconds between(Seconds low, Seconds high) {
    state_ += 0x9e3779b97f4a7c15ULL;
    auto z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return low + static_cast<Seconds>(z % static_cast<std::uint64_t>(high - low + 1));
  }

 private:
  std::uint64_t state_;
};

struct Interval {
  Seconds begin;
  Seconds end;
  bool contains(Seconds t) const { return t >= begin && t < end; }
};

// What the user and their programs do, whatever the machine's state.
struct Trace {
  std::vector<Interval> present;    // laptop open with the tunnel connected
  std::vector<Interval> cells;      // a kernel executing (GPU busy unless short)
  std::vector<Interval> ssh;        // interactive SSH sessions (typing: traffic)
  std::vector<Interval> training;   // a script in tmux: GPU busy, no kernel, no connection
  std::vector<Interval> transfers;  // a gpunb fetch run by the agent
  std::vector<Seconds> manual_stops;
};

bool any(const std::vector<Interval>& intervals, Seconds t) {
  for (const auto& interval : intervals)
    if (interval.contains(t)) return true;
  return false;
}

// Cells with thinking time between them, from `begin` to `end`.
void work_block(Trace& trace, Random& random, Seconds begin, Seconds end) {
  trace.present.push_back({begin, end});
  auto t = begin + random.between(1, 5) * kMinute;
  while (t < end) {
    auto kind = random.between(0, 99);
    auto length = kind < 70   ? random.between(20, 300)
                  : kind < 95 ? random.between(5 * kMinute, 30 * kMinute)
                              : random.between(30 * kMinute, 90 * kMinute);
    if (t + length > end) break;
    trace.cells.push_back({t, t + length});
    t += length + random.between(2 * kMinute, 20 * kMinute);
  }
}

Seconds at(int day, int hour, int minute = 0) {
  return day * kDay + hour * kHour + minute * kMinute;
}

Trace make_week(std::uint64_t seed) {
  Trace trace;
  Random random(seed);
  for (int day = 0; day < 5; ++day) {
    auto arrive = at(day, 9) + random.between(0, 45) * kMinute;
    auto lunch = at(day, 12, 30) + random.between(-15, 15) * kMinute;
    work_block(trace, random, arrive, lunch);
    if (day == 0 || day == 2) {  // a long cell left running over lunch, laptop closed
      trace.cells.push_back({lunch - 2 * kMinute, lunch + random.between(45, 70) * kMinute});
    }
    auto back = at(day, 13, 30) + random.between(0, 20) * kMinute;
    auto leave = at(day, 17, 30) + random.between(-30, 30) * kMinute;
    if (day == 1) {  // an interactive SSH session instead of notebooks for a while
      trace.present.push_back({back, at(day, 14)});
      trace.ssh.push_back({at(day, 14), at(day, 15, 30)});
      work_block(trace, random, at(day, 15, 40), leave);
    } else if (day == 3) {  // a meeting: the tunnel stays open, nothing happens
      work_block(trace, random, back, at(day, 14));
      trace.present.push_back({at(day, 14), at(day, 18)});
      leave = at(day, 18);
    } else {
      work_block(trace, random, back, leave);
    }
    if (day == 2) {  // training started in tmux over SSH, runs into the night
      trace.ssh.push_back({leave, leave + 5 * kMinute});
      trace.training.push_back(
          {leave + 5 * kMinute, leave + 5 * kMinute + 6 * kHour + 30 * kMinute});
    }
    if (day == 4) trace.transfers.push_back({leave - 10 * kMinute, leave + 40 * kMinute});
    if (day <= 1) trace.manual_stops.push_back(leave + 2 * kMinute);  // later days: forgotten
  }
  work_block(trace, random, at(5, 10), at(5, 12));  // Saturday morning
  return trace;
}

// What an idle rule sees at time t.
struct Moment {
  Seconds now;
  bool cell;
  std::optional<Seconds> last_cell_activity;
  bool gpu;
  bool transfer;
  bool ssh_typing;     // interactive SSH with traffic
  bool ssh_connected;  // any SSH connection: the tunnel or a session, idle or not
  bool user_action;  // arrival, a cell started or an SSH login: the user restarts a stopped machine
};

std::optional<Seconds> last_cell_activity(const Trace& trace, Seconds t) {
  std::optional<Seconds> last;
  for (const auto& cell : trace.cells) {
    if (cell.begin <= t) last = std::max(last.value_or(0), std::min(cell.end, t));
  }
  return last;
}

bool starts_at(const std::vector<Interval>& intervals, Seconds t) {
  for (const auto& interval : intervals)
    if (interval.begin > t - kStep && interval.begin <= t) return true;
  return false;
}

Moment moment(const Trace& trace, Seconds t) {
  Moment m{};
  m.now = t;
  m.cell = any(trace.cells, t);
  m.last_cell_activity = last_cell_activity(trace, t);
  m.gpu = any(trace.training, t) || m.cell;
  m.transfer = any(trace.transfers, t);
  m.ssh_typing = any(trace.ssh, t);
  m.ssh_connected = m.ssh_typing || any(trace.present, t);
  bool user_cell = starts_at(trace.cells, t) && any(trace.present, t);
  m.user_action = starts_at(trace.present, t) || starts_at(trace.ssh, t) || user_cell;
  return m;
}

// One idle rule: observe() is told of each moment while the machine runs and says "stop".
class Rule {
 public:
  virtual ~Rule() = default;
  virtual void started(Seconds now) = 0;
  virtual bool observe(const Moment& m) = 0;
};

class GpunbRule : public Rule {
 public:
  void started(Seconds now) override { policy_.emplace(gpunb::agent::IdleSettings{}, now); }
  bool observe(const Moment& m) override {
    gpunb::agent::IdleSample sample;
    sample.now = m.now;
    sample.kernel_executing = m.cell;
    sample.last_kernel_activity = m.last_cell_activity;
    sample.gpu_percent = m.gpu ? 93.0 : 0.0;
    sample.transfer_running = m.transfer;
    if (m.ssh_typing) sample.last_ssh_traffic = m.now;
    return policy_->observe(sample).stop_now;
  }

 private:
  std::optional<gpunb::agent::IdlePolicy> policy_;
};

// Busy while `busy` holds; stops after `idle` without it.
class ConnectionRule : public Rule {
 public:
  ConnectionRule(Seconds idle, std::function<bool(const Moment&)> busy)
      : idle_(idle), busy_(std::move(busy)) {}
  void started(Seconds now) override { last_busy_ = now; }
  bool observe(const Moment& m) override {
    if (busy_ && busy_(m)) last_busy_ = m.now;
    return busy_ && m.now - last_busy_ >= idle_;
  }

 private:
  Seconds idle_;
  std::function<bool(const Moment&)> busy_;
  Seconds last_busy_ = 0;
};

struct Outcome {
  Seconds running = 0;
  Seconds idle = 0;  // running with nothing running on it and nobody at it for 10 minutes
  int auto_stops = 0;
  int stops_under_work = 0;
};

Outcome simulate(const Trace& trace, Rule& rule) {
  Outcome out;
  bool up = false;
  for (Seconds t = 0; t < 7 * kDay; t += kStep) {
    auto m = moment(trace, t);
    if (!up && m.user_action) {
      up = true;
      rule.started(t);
    }
    if (!up) continue;
    out.running += kStep;
    bool recent = m.last_cell_activity && t - *m.last_cell_activity < 10 * kMinute;
    if (!m.cell && !m.gpu && !m.transfer && !m.ssh_typing && !recent) out.idle += kStep;
    bool manual = false;
    for (auto stop : trace.manual_stops) manual = manual || (stop > t - kStep && stop <= t);
    if (manual) {
      up = false;
    } else if (rule.observe(m)) {
      up = false;
      ++out.auto_stops;
      if (m.cell || m.gpu || m.transfer) ++out.stops_under_work;
    }
  }
  return out;
}

}  // namespace

int main() {
  auto trace = make_week(20240901);
  GpunbRule gpunb;
  ConnectionRule none(0, nullptr);
  ConnectionRule skypilot(5 * kMinute, [](const Moment& m) { return m.ssh_connected; });
  ConnectionRule dstack(60 * kMinute, [](const Moment& m) { return m.ssh_connected; });
  struct Row {
    const char* name;
    const char* rule;
    Rule& policy;
  };
  std::vector<Row> rows = {
      {"gpunb", "kernels, GPU, transfers, SSH traffic; 60m", gpunb},
      {"no autostop", "manual stops only", none},
      {"SkyPilot-style", "no SSH session (no queued job); 5m", skypilot},
      {"dstack-style", "no connection; 60m", dstack},
  };
  std::printf("A week on one g5.xlarge at $%.3f/h (seed 20240901, %lds steps); disk not included\n",
              kPricePerHour, static_cast<long>(kStep));
  std::printf("%-15s %-44s %7s %7s %8s %6s %15s\n", "policy", "idle means", "hours", "idle h",
              "dollars", "stops", "stops mid-work");
  for (auto& row : rows) {
    auto out = simulate(trace, row.policy);
    double hours = static_cast<double>(out.running) / kHour;
    std::printf("%-15s %-44s %7.1f %7.1f %8.2f %6d %15d\n", row.name, row.rule, hours,
                static_cast<double>(out.idle) / kHour, hours * kPricePerHour, out.auto_stops,
                out.stops_under_work);
  }
  return 0;
}
