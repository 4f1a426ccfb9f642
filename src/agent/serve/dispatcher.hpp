// The op table: each op name maps to one handler; handlers live in their own files (ops_*.cpp)
// and register themselves through the register_* functions below.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/host/context.hpp"
#include "base/error.hpp"

namespace gpunb::agent {

using Json = nlohmann::json;
using Handler = std::function<Result<Json>(Context&, const Json& request)>;

class Dispatcher {
 public:
  void add(const std::string& op, Handler handler);
  // One request line in, one reply line out (without '\n'). Never throws.
  std::string handle_line(Context& context, const std::string& line);

 private:
  Json handle(Context& context, const Json& request);
  std::map<std::string, Handler> handlers_;
};

// Registration, one function per ops file.
void register_basic_ops(Dispatcher& dispatcher);    // probe, shutdown
void register_jupyter_ops(Dispatcher& dispatcher);  // jupyter.*
void register_fs_ops(Dispatcher& dispatcher);       // fs.list, fs.hash, fs.delete
void register_watch_ops(Dispatcher& dispatcher);    // watch.configure, watch.status
void register_fetch_ops(Dispatcher& dispatcher);    // fetch.start, fetch.status
Dispatcher make_dispatcher();                       // every op the agent knows

// Request helpers for handlers: a string field that must be there, or a usage failure.
Result<std::string> required_string(const Json& request, const char* field);
Result<std::string> required_name(const Json& request);  // "name", checked by valid_name

}  // namespace gpunb::agent
