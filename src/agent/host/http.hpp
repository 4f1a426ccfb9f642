// HTTP calls to Jupyter on loopback and the instance metadata service, through the agent's one
// HTTP client (data/net/http.hpp). IP literals only: no name is ever looked up for them.
// The loopback port helpers live here too, beside the calls that use them.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace gpunb::agent {

struct HttpReply {
  int status = 0;
  std::string body;
};

struct Endpoint {
  std::string ip;  // dotted IPv4
  int port = 80;
};
// "http://169.254.169.254" or "http://127.0.0.1:8080" (a trailing '/' is fine).
Result<Endpoint> parse_endpoint(const std::string& url);

struct HttpCall {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{2000};
};

// Any method, headers and a body, to an IPv4 literal (the instance metadata service, Jupyter);
// no redirect is followed, and the whole call ends by CALL.timeout (kind "timeout"). A reply that
// is not HTTP fails (kind "network").
Result<HttpReply> http_call(const Endpoint& endpoint, const HttpCall& call);

// GET http://127.0.0.1:PORT/PATH with "Authorization: token TOKEN" (when not empty).
Result<HttpReply> http_get_local(int port, const std::string& path, const std::string& token,
                                 std::chrono::milliseconds timeout);
bool local_port_open(int port);  // something accepts on 127.0.0.1:PORT
// A port free on 127.0.0.1 right now (bind :0, read, close), never one of the AVOID ports.
Result<int> free_local_port();
bool local_port_free(int port);  // 127.0.0.1:PORT can be bound now

}  // namespace gpunb::agent
