// The watcher's time behind base's Clock seam, with the one thing the watcher adds: a wait that a
// signal ending the watcher cuts short. The unit tests run a day of watching in milliseconds on
// a clock they advance.
#pragma once

#include <csignal>

#include "agent/watch/idle_policy.hpp"
#include "base/clock.hpp"

namespace gpunb::agent {

class WatchClock : public base::Clock {
 public:
  // Waits SECONDS, or less when a signal that ends the watcher arrives: its number, else 0.
  virtual int wait(Seconds seconds) = 0;
  Seconds seconds() const { return base::unix_seconds(now()); }  // now(), in whole seconds
};

// The machine's clock; the wait ends early on one of ENDING, which the caller has blocked (so it
// is taken here, without a handler, and never lost between two samples).
class SignalClock : public WatchClock {
 public:
  explicit SignalClock(const sigset_t& ending) : ending_(ending) {}
  std::chrono::system_clock::time_point now() const override { return system_.now(); }
  std::chrono::steady_clock::time_point monotonic() const override { return system_.monotonic(); }
  void sleep_for(std::chrono::milliseconds duration) override { system_.sleep_for(duration); }
  int wait(Seconds seconds) override;

 private:
  base::SystemClock system_;
  sigset_t ending_;
};

}  // namespace gpunb::agent
