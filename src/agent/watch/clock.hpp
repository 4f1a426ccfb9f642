// The watcher's time behind a seam: the time of a sample and the wait until the next, so the unit
// tests run a day of watching in milliseconds on a clock they advance. (The agent does not link
// src/util, whose Clock brings fmt; this one is all the watcher needs.)
#pragma once

#include <csignal>

#include "agent/watch/idle_policy.hpp"

namespace gpunb::agent {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Seconds now() = 0;  // seconds since the epoch
  // Waits SECONDS, or less when a signal that ends the watcher arrives: its number, else 0.
  virtual int wait(Seconds seconds) = 0;
};

// The machine's clock; the wait ends early on one of ENDING, which the caller has blocked (so it
// is taken here, without a handler, and never lost between two samples).
class SignalClock : public Clock {
 public:
  explicit SignalClock(const sigset_t& ending) : ending_(ending) {}
  Seconds now() override;
  int wait(Seconds seconds) override;

 private:
  sigset_t ending_;
};

}  // namespace gpunb::agent
