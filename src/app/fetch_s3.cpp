#include <fmt/format.h>

#include "app/fetch_job.hpp"
#include "aws/s3.hpp"

namespace gpunb::app {

nlohmann::json s3_job_items(Context& context, const FetchRequest& request) {
  aws::S3FetchRequest s3;
  s3.uri = request.source;
  s3.http = &context.http();
  if (request.no_sign_request) {
    s3.anonymous = true;
    s3.region = context.region_if_known().value_or("us-east-1");
    s3.endpoint = aws::s3_endpoint(context.env());
  } else {
    auto aws = context.aws_context();
    s3.region = aws.region;
    s3.endpoint = aws.s3_endpoint;
    s3.credentials = aws.credentials;
  }
  auto downloads = core::value_or_throw(aws::plan_s3_fetch(s3));
  if (downloads.empty()) {
    throw core::Fatal({core::ErrorKind::not_found, "no objects under " + request.source,
                       "check the prefix with `aws s3 ls " + request.source + "`"});
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& object : downloads) {
    nlohmann::json item{{"url", object.url}, {"name", object.relative_name}, {"size", object.size}};
    if (object.md5) item["md5"] = *object.md5;
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace gpunb::app
