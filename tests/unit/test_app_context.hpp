// A real app::Context for unit tests of the app layer: its state (ledger, kept reports) lives in
// a temp folder of the test's own, its clock is set by hand, its log is quiet.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "app/context.hpp"

namespace gpunb::app {

constexpr std::int64_t kT0 = 1795755600;  // 2026-11-27T05:00:00Z
constexpr std::int64_t kHour = 3600;

class SettableClock : public base::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::seconds(seconds)};
  }
  std::chrono::steady_clock::time_point monotonic() const override { return {}; }
  void sleep_for(std::chrono::milliseconds) override {}
  std::int64_t seconds = kT0;
};

// A temp folder of the test's own, made afresh and removed after it.
class AppTempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                               ("gpunb-app-test-" + std::to_string(::getpid()) + "-" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
};

class AppContextTest : public AppTempDirTest {
 protected:
  util::MapEnv env_{{{"HOME", dir_.string()}, {"XDG_STATE_HOME", (dir_ / "state").string()}}};
  base::Logger log_{stderr, base::LogLevel::quiet};
  SettableClock clock_;
  Context context_{env_, log_, clock_, Output{}, GlobalOptions{}};
};

}  // namespace gpunb::app
