// Time behind a seam: retries and waits take a Clock so tests need not sleep.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gpunb::base {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;  // wall time, for signing
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point monotonic() const override;
  void sleep_for(std::chrono::milliseconds duration) override;
};

std::int64_t unix_seconds(std::chrono::system_clock::time_point time);
std::string utc_now();  // 2024-05-01T12:00:00Z

}  // namespace gpunb::base
