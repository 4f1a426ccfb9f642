// The EC2 Query API transport: signing, retries with backoff and jitter, XML and error envelopes.
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "core/error.hpp"
#include "net/http.hpp"

namespace gpunb::aws {

// Ordered query parameters, e.g. {"InstanceId.1", "i-0123"}. "Action" and "Version" are added.
using Params = std::vector<std::pair<std::string, std::string>>;

struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{10000};
};

class Ec2Client {
 public:
  Ec2Client(net::Http& http, base::Clock& clock, const base::Logger& log, AwsContext context,
            RetryPolicy retry = {});

  // One API call. The document holds the response element (e.g. <DescribeInstancesResponse>).
  // EC2 error codes become core::Error with a kind and a hint (see ec2_errors.hpp); throttling
  // (RequestLimitExceeded, Throttling) and 5xx are retried; a body that is not the expected XML
  // is an error, never a crash.
  core::Result<std::shared_ptr<pugi::xml_document>> call(const std::string& action,
                                                         const Params& params);

  // The call as a presigned GET URL (query-string SigV4, valid EXPIRES seconds, at most 7 days)
  // that whoever holds it can make without credentials: how the machine's own watcher
  // terminates or tags its instance. ENDPOINT: the EC2 endpoint as the machine reaches it (empty:
  // this client's).
  std::string presign(const std::string& action, const Params& params, int expires,
                      const std::string& endpoint = {}) const;

  const AwsContext& context() const { return context_; }

 private:
  net::Http& http_;
  base::Clock& clock_;
  const base::Logger& log_;
  AwsContext context_;
  RetryPolicy retry_;
};

}  // namespace gpunb::aws
