// `gpunb-agent extract ARCHIVE DIR [--max-bytes N] [--max-entries N] [--max-ratio X]`: a hidden
// mode that unpacks one archive (for benchmarks and tests, without the rest of a fetch). Prints
// {"entries":N,"bytes":N} on success; else one line on stderr and exit code 1 (internal),
// 7 (refused) or 2 (usage).
#pragma once

namespace gpunb::data {

int extract_main(int argc, char** argv);  // ARGV as main's: argv[1] is "extract"

}  // namespace gpunb::data
