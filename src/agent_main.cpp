// gpunb-agent: the static helper gpunb uploads to the GPU machine (see src/agent/).
#include <openssl/crypto.h>

#include <cstring>
#include <iostream>

#include "agent/fetch/run.hpp"
#include "agent/fs/receive.hpp"
#include "agent/fs/send.hpp"
#include "agent/host/context.hpp"
#include "agent/serve/serve.hpp"
#include "agent/watch/watch.hpp"
#include "data/archive/extract_main.hpp"

int main(int argc, char** argv) {
  // Before any hash or random byte: OpenSSL would otherwise read the machine's openssl.cnf at its
  // first use, and a config that loads a provider module (FIPS, legacy) would dlopen it into this
  // static binary (see ../shared/STATIC-AGENT.md). Everything the agent needs is built in.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
  if (argc == 2 && std::strcmp(argv[1], "serve") == 0) {
    std::ios::sync_with_stdio(false);
    return gpunb::agent::serve(std::cin, std::cout);
  }
  if (argc == 3 && std::strcmp(argv[1], "receive") == 0)
    return gpunb::agent::receive_stream(0, 1, argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "send") == 0)
    return gpunb::agent::send_stream(0, 1, argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "fetch-run") == 0)
    return gpunb::agent::fetch_run_main(gpunb::agent::make_context().state, argv[2]);
  if (argc == 2 && std::strcmp(argv[1], "fetch-local") == 0)
    return gpunb::agent::fetch_local_main();
  if (argc >= 2 && std::strcmp(argv[1], "extract") == 0)
    return gpunb::data::extract_main(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "watch") == 0)
    return gpunb::agent::watch_command(argc == 3 ? argv[2] : "");
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << gpunb::agent::version() << '\n';
    return 0;
  }
  std::cerr
      << "usage: gpunb-agent serve | receive ROOT | send ROOT | fetch-run ID | fetch-local |\n"
         "                   extract ARCHIVE DIR | watch [--foreground|--sample] | --version\n"
         "  serve: JSON lines on stdin/stdout (started by gpunb over SSH)\n"
         "  receive, send: the sync stream of files below ROOT (see src/agent/fs/send.hpp)\n"
         "  fetch-run: a detached data fetch (fetch.start); fetch-local: a job on stdin\n"
         "  extract: unpack an archive safely; watch: the idle watcher (autostop)\n";
  return 2;
}
