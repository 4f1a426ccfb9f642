#include "cli/main.hpp"

int main(int argc, char** argv) {
  return gpunb::cli::run(argc, argv);
}
