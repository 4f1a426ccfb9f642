#include "cli/main.hpp"

namespace gpunb::cli {
int run(int /*argc*/, char** /*argv*/) { return 0; }
}  // namespace gpunb::cli
