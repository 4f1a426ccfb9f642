#include "data/archive/extract_main.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "data/archive/extract.hpp"

namespace gpunb::data {
namespace {

struct ExtractArgs {
  std::string archive;
  std::string dir;
  ExtractLimits limits;
};

bool parse_number(std::string_view text, std::uint64_t& into) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), into);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_ratio(const char* text, double& into) {
  char* end = nullptr;
  into = std::strtod(text, &end);
  return end != text && *end == '\0' && into > 0;
}

bool parse_option(std::string_view name, const char* value, ExtractLimits& limits) {
  if (name == "--max-bytes") return parse_number(value, limits.max_bytes);
  if (name == "--max-entries") return parse_number(value, limits.max_entries);
  if (name == "--max-ratio") return parse_ratio(value, limits.max_ratio);
  return false;
}

std::optional<ExtractArgs> parse_args(int argc, char** argv) {
  if (argc < 4 || (argc - 4) % 2 != 0) return std::nullopt;
  ExtractArgs args{argv[2], argv[3], {}};
  for (int i = 4; i + 1 < argc; i += 2) {
    if (!parse_option(argv[i], argv[i + 1], args.limits)) return std::nullopt;
  }
  return args;
}

}  // namespace

int extract_main(int argc, char** argv) {
  auto args = parse_args(argc, argv);
  if (!args) {
    std::fputs(
        "usage: gpunb-agent extract ARCHIVE DIR [--max-bytes N] [--max-entries N] "
        "[--max-ratio X]\n",
        stderr);
    return 2;
  }
  auto done = extract_file(args->archive, args->dir, args->limits);
  if (!done) {
    std::fprintf(stderr, "gpunb-agent: %s\n", done.error().message.c_str());
    return done.error().kind == ErrorKind::refused ? 7 : 1;
  }
  std::printf("{\"entries\":%llu,\"bytes\":%llu}\n", static_cast<unsigned long long>(done->entries),
              static_cast<unsigned long long>(done->bytes));
  return 0;
}

}  // namespace gpunb::data
