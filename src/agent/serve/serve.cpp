#include "agent/serve/serve.hpp"

#include <csignal>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "agent/serve/dispatcher.hpp"

#ifndef GPUNB_AGENT_VERSION
#define GPUNB_AGENT_VERSION "0.0.0+unknown"
#endif

namespace gpunb::agent {

std::string version() {
  return GPUNB_AGENT_VERSION;
}

std::string hello_line() {
  return nlohmann::ordered_json{
      {"agent", "gpunb-agent"}, {"version", version()}, {"protocol", kProtocol}}
      .dump();
}

int serve(std::istream& in, std::ostream& out) {
  ::signal(SIGPIPE, SIG_IGN);
  Context context = make_context();
  Dispatcher dispatcher = make_dispatcher();
  context.log->write("serve: agent " + version() + " started");
  out << hello_line() << '\n' << std::flush;
  for (std::string line; !context.stop && std::getline(in, line);) {
    if (line.empty() || line == "\r") continue;
    out << dispatcher.handle_line(context, line) << '\n' << std::flush;
    if (!out) break;
  }
  context.log->write(context.stop ? "serve: shutdown" : "serve: end of input");
  return 0;
}

}  // namespace gpunb::agent
