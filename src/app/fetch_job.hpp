// The job gpunb hands to gpunb-agent for a fetch (see src/agent/fetch/spec.hpp): S3 sources are
// listed and presigned here, on the laptop, so the machine never holds the user's AWS secret.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "app/context.hpp"
#include "app/fetch.hpp"

namespace gpunb::app {

nlohmann::json fetch_job(Context& context, const FetchRequest& request, const std::string& dir);
// The presigned (or, with --no-sign-request, plain) objects of an s3:// source as job items.
nlohmann::json s3_job_items(Context& context, const FetchRequest& request);

}  // namespace gpunb::app
