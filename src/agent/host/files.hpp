// Where the agent's user lives: no NSS (the agent is linked statically), so $HOME or /etc/passwd.
#pragma once

#include <filesystem>
#include <string>

namespace gpunb::agent {

// $HOME, else the uid's entry of /etc/passwd read by hand (getpwuid would go through NSS).
std::string home_dir();
std::filesystem::path expand_home(const std::string& path);  // "~" and "~/..." only

}  // namespace gpunb::agent
