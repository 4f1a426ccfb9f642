// Archive entry names are UTF-8 in the static agent whatever the locale. libarchive converts each
// name it reads (a zip's UTF-8-flagged names, a pax header's path) to the charset of the current
// locale, which nl_langinfo(CODESET) tells. The agent never calls setlocale (a static glibc cannot
// load the machine's locales), so that was ASCII and every non-ASCII name of a zip written by
// Python, Windows, macOS or 7-Zip failed to convert. gpunb-agent is linked with
// -Wl,--wrap=nl_langinfo: libarchive's calls land here and are told UTF-8, so names come through
// as UTF-8 (NFC); data/archive/extract_paths.hpp refuses those that are not. Only this binary is
// wrapped: a dynamically linked program using data/ (the unit tests) gets its own locale's
// conversions.
#include <langinfo.h>

extern "C" {
char* __real_nl_langinfo(nl_item item);  // NOLINT(bugprone-reserved-identifier): ld's names

char* __wrap_nl_langinfo(nl_item item) {  // NOLINT(bugprone-reserved-identifier)
  static char utf8[] = "UTF-8";
  return item == CODESET ? utf8 : __real_nl_langinfo(item);
}
}
