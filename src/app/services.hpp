// The seams of the paths that reach the network and cost money: what Context makes to talk to the
// cloud and to machines. RealServices makes the real things; unit tests hand Context fakes, as
// ninja's builder runs over a fake disk and command runner.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "aws/ec2_client.hpp"
#include "core/error.hpp"
#include "net/http.hpp"
#include "providers/provider.hpp"
#include "ssh/session.hpp"

namespace gpunb::app {

class Context;

class Services {
 public:
  virtual ~Services() = default;
  // A new HTTP client. Context keeps one for the process; each region's provider gets its own.
  virtual std::unique_ptr<net::Http> make_http() = 0;
  // The cloud in REGION, made on the first call and kept (not thread-safe); it may use the
  // context's credentials, key and log.
  virtual providers::Provider& provider(Context& context, const std::string& region) = 0;
  // One SSH connection. Called on worker threads too (the tunnel reconnects on its own).
  virtual core::Result<ssh::Session> connect_ssh(const ssh::ConnectOptions& options) = 0;
};

// libcurl, EC2 and libssh.
class RealServices : public Services {
 public:
  std::unique_ptr<net::Http> make_http() override;
  providers::Provider& provider(Context& context, const std::string& region) override;
  core::Result<ssh::Session> connect_ssh(const ssh::ConnectOptions& options) override;

 private:
  // Declared in the order they depend on each other, so they are destroyed the other way round.
  struct Region {
    std::unique_ptr<net::Http> http;
    std::unique_ptr<aws::Ec2Client> client;
    std::unique_ptr<providers::Provider> provider;
  };
  std::map<std::string, Region> regions_;
};

}  // namespace gpunb::app
