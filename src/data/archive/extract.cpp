#include "data/archive/extract.hpp"

#include <array>

#include "base/expected.hpp"
#include "data/archive/extract_archive.hpp"
#include "data/archive/extract_dirs.hpp"
#include "data/archive/extract_entries.hpp"
#include "data/archive/extract_stage.hpp"

namespace gpunb::data {
namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = text[text.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

// Every entry of READER into DIR, then the folders' modes and times.
Result<Extracted> extract_all(ArchiveReader& reader, const std::filesystem::path& dir,
                              const ExtractLimits& limits) {
  auto dirs = TreeDirs::open(dir);
  TRY(dirs);
  EntryWriter writer(reader, *dirs, limits);
  for (;;) {
    auto entry = reader.next();
    TRY(entry);
    if (!*entry) break;
    TRY(writer.write(*entry));
  }
  TRY(writer.finish());
  return writer.totals();
}

}  // namespace

bool is_archive_name(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kSuffixes = {
      ".zip",  ".tar",    ".tar.gz", ".tgz",     ".tar.bz2",
      ".tbz2", ".tar.xz", ".txz",    ".tar.zst", ".tzst"};
  for (std::string_view suffix : kSuffixes) {
    if (name.size() > suffix.size() && ends_with(name, suffix)) return true;
  }
  return false;
}

Result<Extracted> extract_file(const std::filesystem::path& archive,
                               const std::filesystem::path& dir, const ExtractLimits& limits) {
  auto reader = ArchiveReader::open_file(archive);
  TRY(reader);
  auto stage = Stage::make(dir, archive.filename().string());
  TRY(stage);
  auto done = extract_all(*reader, stage->path(), limits);
  if (!done) return done;
  TRY(stage->commit());
  return done;
}

Result<Extracted> extract_stream(const ReadFn& read, const std::filesystem::path& dir,
                                 const ExtractLimits& limits) {
  auto reader = ArchiveReader::open_stream(read);
  TRY(reader);
  return extract_all(*reader, dir, limits);
}

}  // namespace gpunb::data
