// A hidden folder beside an extraction's target (DIR/.NAME.gpunb-unpack-PID-N) that the archive is
// unpacked into, then merged into DIR by commit() once every check has passed: a checksum that
// fails, a refused entry or a cut download leave nothing in DIR, and no file there is touched.
// The merge renames: a folder DIR lacks moves in whole; into a folder DIR has, entry by entry
// (the folder keeps its own mode and takes the archive's times); a file replaces a file or a
// symlink (never written through). A staged folder over a file or symlink, or a file over a
// folder, is refused before anything moves. Stages of processes that died (a crash, a kill) are
// removed by the next stage of the same name.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace gpunb::data {

class Stage {
 public:
  // A fresh, empty stage for an archive named ARCHIVE_NAME extracted into DIR (made if absent).
  static Result<Stage> make(const std::filesystem::path& dir, std::string_view archive_name);
  Stage(Stage&& other) noexcept;
  Stage& operator=(Stage&&) = delete;
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  ~Stage();  // removes the stage unless committed

  const std::filesystem::path& path() const { return stage_; }
  // Moves the stage's contents into DIR; the stage is gone afterwards.
  Status commit();

 private:
  Stage(std::filesystem::path dir, std::filesystem::path stage)
      : dir_(std::move(dir)), stage_(std::move(stage)) {}

  std::filesystem::path dir_, stage_;
};

// The stages' prefix for ARCHIVE_NAME: ".NAME.gpunb-unpack-" (NAME cut to 160 bytes).
std::string stage_prefix(std::string_view archive_name);

}  // namespace gpunb::data
