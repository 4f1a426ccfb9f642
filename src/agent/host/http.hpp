// A tiny HTTP/1.1 client for Jupyter on loopback and the instance metadata service. IP literals
// only: a static glibc binary must never resolve a name (see STATIC-AGENT.md).
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

// Any method, headers and a body, to an IPv4 literal (the instance metadata service, Jupyter).
Result<HttpReply> http_call(const Endpoint& endpoint, const HttpCall& call);

// GET http://127.0.0.1:PORT/PATH with "Authorization: token TOKEN" (when not empty).
Result<HttpReply> http_get_local(int port, const std::string& path, const std::string& token,
                                 std::chrono::milliseconds timeout);
// Parses "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"; status 0 when it is not HTTP.
HttpReply parse_http_reply(const std::string& raw);
bool local_port_open(int port);  // something accepts on 127.0.0.1:PORT
// A port free on 127.0.0.1 right now (bind :0, read, close), never one of the AVOID ports.
Result<int> free_local_port();
bool local_port_free(int port);  // 127.0.0.1:PORT can be bound now

}  // namespace gpunb::agent
