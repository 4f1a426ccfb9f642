// One-line progress with elapsed time, on a terminal only; a no-op otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "app/context.hpp"

namespace gpunb::app {

class ProgressLine {
 public:
  explicit ProgressLine(Context& context);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void update(const std::string& what);  // "[ 12s] launching g5.xlarge in us-east-1a"
  void done();                           // clears the line

 private:
  Context& context_;
  std::chrono::steady_clock::time_point started_;
  bool shown_ = false;
};

// Set by SIGINT/SIGTERM; long waits check it and stop with an interrupted error.
void install_interrupt_handler();
bool interrupted();
const std::atomic<bool>& interrupt_flag();  // for loops that take a stop flag
void throw_if_interrupted(const std::string& what_now);

}  // namespace gpunb::app
