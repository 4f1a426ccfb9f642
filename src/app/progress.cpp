#include "app/progress.hpp"

#include <fmt/format.h>

#include <atomic>
#include <csignal>

#include "base/text.hpp"

namespace gpunb::app {

namespace {
std::atomic<bool> g_interrupted{false};  // the one global: a signal handler needs it

extern "C" void on_signal(int signal_number) {
  g_interrupted.store(true);
  std::signal(signal_number, SIG_DFL);  // a second Ctrl-C ends the process at once
}
}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupted() {
  return g_interrupted.load();
}

const std::atomic<bool>& interrupt_flag() {
  return g_interrupted;
}

void throw_if_interrupted(const std::string& what_now) {
  if (interrupted()) throw core::Fatal({core::ErrorKind::interrupted, "interrupted", what_now});
}

ProgressLine::ProgressLine(Context& context)
    : context_(context), started_(context.clock().monotonic()) {}

ProgressLine::~ProgressLine() {
  done();
}

void ProgressLine::update(const std::string& what) {
  context_.log().debug("{}", what);
  if (!context_.output().tty) return;
  auto elapsed =
      std::chrono::duration_cast<std::chrono::seconds>(context_.clock().monotonic() - started_);
  fmt::print(context_.output().err, "\r\033[K[{:>3}s] {}", elapsed.count(), base::printable(what));
  std::fflush(context_.output().err);
  shown_ = true;
}

void ProgressLine::done() {
  if (!shown_) return;
  fmt::print(context_.output().err, "\r\033[K");
  std::fflush(context_.output().err);
  shown_ = false;
}

}  // namespace gpunb::app
