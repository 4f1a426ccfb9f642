// HTTP/1.1 requests for the watcher: any method, headers, a body, to an IPv4 literal (the
// instance metadata service, or Jupyter on loopback). Never a name lookup (see STATIC-AGENT.md).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "agent/http.hpp"
#include "agent/result.hpp"

namespace gpunb::agent {

struct Endpoint {
  std::string ip;  // dotted IPv4
  int port = 80;
};
// "http://169.254.169.254" or "http://127.0.0.1:8080" (a trailing '/' is fine).
Outcome<Endpoint> parse_endpoint(const std::string& url);

struct HttpCall {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{2000};
};

Outcome<HttpReply> http_call(const Endpoint& endpoint, const HttpCall& call);

}  // namespace gpunb::agent
