// gpunb-agent: the static helper gpunb uploads to the GPU machine (see src/agent/).
#include <cstring>
#include <iostream>

#include "agent/serve.hpp"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "serve") == 0) {
    std::ios::sync_with_stdio(false);
    return gpunb::agent::serve(std::cin, std::cout);
  }
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << gpunb::agent::version() << '\n';
    return 0;
  }
  std::cerr << "usage: gpunb-agent serve | --version\n"
               "  serve: JSON lines on stdin/stdout (started by gpunb over SSH)\n";
  return 2;
}
