#include "agent/watch/clock.hpp"

#include <ctime>

namespace gpunb::agent {

int SignalClock::wait(Seconds seconds) {
  timespec pause{static_cast<time_t>(seconds), 0};
  int sig = ::sigtimedwait(&ending_, nullptr, &pause);
  return sig > 0 ? sig : 0;
}

}  // namespace gpunb::agent
