// Where a finished download goes when its name came from the server: never over a file that is
// there (see agent/fetch/download.hpp). Renames are atomic and never replace (RENAME_NOREPLACE,
// else link + unlink), so a file that appears meanwhile is not replaced either.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace gpunb::data {

// NAME with " (N)" before its extension: "a.csv" -> "a (2).csv", "x.tar.gz" -> "x (2).tar.gz",
// ".hidden" and "README" -> "... (2)" at the end.
std::string numbered_name(const std::string& name, int n);

struct Placed {
  std::filesystem::path path;  // where the bytes are now
  std::string note;            // empty when the name was free
};

// Moves PART to FINAL, else to the first free numbered name; on the way, a file that has the
// same SIZE bytes and SHA256 is kept and PART dropped (a rerun of a finished download).
Result<Placed> place_without_replacing(const std::filesystem::path& part,
                                       const std::filesystem::path& final, std::uint64_t size,
                                       const std::string& sha256);

}  // namespace gpunb::data
