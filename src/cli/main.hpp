#pragma once

namespace gpunb::cli {
int run(int argc, char** argv);
}
