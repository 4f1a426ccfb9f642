// Fakes shared by the EC2 unit tests: scripted Http, recording Clock, data files.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "aws/ec2_client.hpp"
#include "base/strings.hpp"

namespace gpunb::aws::testing {

inline std::string data_file(const std::string& name) {
  std::ifstream in(std::string(GPUNB_SOURCE_DIR) + "/tests/unit/data/ec2/" + name,
                   std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class FakeHttp : public net::Http {
 public:
  void reply(long status, std::string body) {
    script_.push_back(net::HttpResponse{status, {}, std::move(body)});
  }
  void reply_file(const std::string& name) { reply(200, data_file(name)); }
  void fail(std::string message) {
    script_.push_back(
        tl::unexpected(core::Error{core::ErrorKind::network, std::move(message), {}}));
  }

  core::Result<net::HttpResponse> send(const net::HttpRequest& request) override {
    requests.push_back(request);
    if (script_.empty()) return core::fail(core::ErrorKind::internal, "no scripted response");
    auto next = std::move(script_.front());
    script_.pop_front();
    return next;
  }

  std::vector<net::HttpRequest> requests;

 private:
  std::deque<core::Result<net::HttpResponse>> script_;
};

// Wall time moves one second per reading, so each signature gets its own X-Amz-Date.
class FakeClock : public base::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{std::chrono::seconds(1704067200 + readings_++)};
  }
  std::chrono::steady_clock::time_point monotonic() const override { return {}; }
  void sleep_for(std::chrono::milliseconds duration) override { sleeps.push_back(duration); }

  std::vector<std::chrono::milliseconds> sleeps;

 private:
  mutable int readings_ = 0;
};

inline AwsContext test_context() {
  AwsContext context;
  context.credentials = {"AKIDEXAMPLE7Q2W", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                         "FwoGZXIvYXdzSESSIONTOKEN"};
  context.region = "us-east-1";
  context.profile = "default";
  context.ec2_endpoint = "https://ec2.us-east-1.amazonaws.com";
  return context;
}

inline std::string header(const net::HttpRequest& request, const std::string& lower_name) {
  for (const auto& [name, value] : request.headers) {
    if (base::to_lower(name) == lower_name) return value;
  }
  return {};
}

// The decoded form parameters of a request body.
inline std::map<std::string, std::string> form(const net::HttpRequest& request) {
  std::map<std::string, std::string> params;
  for (const auto& pair : base::split(request.body, '&')) {
    auto equals = pair.find('=');
    params[base::uri_decode(pair.substr(0, equals), true)] =
        base::uri_decode(pair.substr(equals + 1), true);
  }
  return params;
}

// A client over fakes; logs go to a temporary file that log_text() reads back.
struct Harness {
  explicit Harness(RetryPolicy retry = {}, AwsContext context = test_context())
      : sink(std::tmpfile()),
        log(sink, base::LogLevel::debug),
        client(http, clock, log, std::move(context), retry) {}
  ~Harness() { std::fclose(sink); }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  std::string log_text() const {
    std::fflush(sink);
    std::rewind(sink);
    std::string text;
    for (int c = std::fgetc(sink); c != EOF; c = std::fgetc(sink)) text += static_cast<char>(c);
    return text;
  }

  FakeHttp http;
  FakeClock clock;
  std::FILE* sink;
  base::Logger log;
  Ec2Client client;
};

inline std::string error_envelope(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + code +
         "</Code><Message>" + message +
         "</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></"
         "Response>";
}

// Parses a data file and returns its response element (the document stays alive with the test).
class Xml {
 public:
  explicit Xml(const std::string& name) {
    auto text = data_file(name);
    EXPECT_TRUE(document_.load_buffer(text.data(), text.size())) << name;
  }
  pugi::xml_node root() const { return document_.document_element(); }

 private:
  pugi::xml_document document_;
};

using Form = std::map<std::string, std::string>;

inline void expect_params(const net::HttpRequest& request, const Form& expected) {
  auto params = form(request);
  for (const auto& [key, value] : expected) {
    ASSERT_TRUE(params.count(key)) << "missing " << key << " in " << request.body;
    EXPECT_EQ(params.at(key), value) << key;
  }
}

}  // namespace gpunb::aws::testing
