// Runs one of the tests' Python scripts (tests/unit/NAME) with Debian's botocore on a JSON input;
// the JSON it prints (discarded on a parse error: the caller's assertions say so).
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "base/hash.hpp"

namespace gpunb::botocore_test {

inline nlohmann::json run_botocore_script(const std::string& script, const nlohmann::json& input) {
  auto path =
      std::filesystem::temp_directory_path() / ("gpunb-botocore-" + base::random_hex(8) + ".json");
  std::ofstream(path) << input.dump();
  std::string command = "/usr/bin/python3 '" + std::string(GPUNB_SOURCE_DIR) + "/tests/unit/" +
                        script + "' < '" + path.string() + "'";
  std::string output;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    while (auto got = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, got);
    pclose(pipe);
  }
  std::filesystem::remove(path);
  return nlohmann::json::parse(output, nullptr, false);
}

}  // namespace gpunb::botocore_test
