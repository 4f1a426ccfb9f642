#include <gtest/gtest.h>

#include "aws/ec2_api.hpp"
#include "test_aws_ec2_fakes.hpp"

namespace gpunb::aws {

namespace {

using testing::expect_params;
using testing::form;
using testing::Harness;
using testing::Xml;

RunRequest gpu_request() {
  RunRequest request;
  request.image_id = "ami-0a1b2c3d4e5f60002";
  request.type = "g5.xlarge";
  request.key_name = "gpunb-k";
  request.security_group_id = "sg-1";
  request.client_token = "gpunb-token-1";
  request.tags = {{"gpunb:name", "train"}, {"Name", "gpunb-train"}};
  request.disk_gb = 150;
  request.zone = "us-east-1a";
  return request;
}

}  // namespace

TEST(Ec2Instances, RunSendsTheLaunchParameters) {
  Harness h;
  h.http.reply_file("run_instances.xml");
  auto instance = run_instances(h.client, gpu_request());
  ASSERT_TRUE(instance) << instance.error().message;
  EXPECT_EQ(instance->id, "i-0123456789abcdef0");
  EXPECT_EQ(instance->state, "pending");
  EXPECT_EQ(instance->public_ip, "");
  EXPECT_EQ(instance->client_token, "gpunb-token-1");
  expect_params(h.http.requests[0], {{"Action", "RunInstances"},
                                     {"ImageId", "ami-0a1b2c3d4e5f60002"},
                                     {"InstanceType", "g5.xlarge"},
                                     {"MinCount", "1"},
                                     {"MaxCount", "1"},
                                     {"KeyName", "gpunb-k"},
                                     {"SecurityGroupId.1", "sg-1"},
                                     {"ClientToken", "gpunb-token-1"},
                                     {"InstanceInitiatedShutdownBehavior", "stop"},
                                     {"Placement.AvailabilityZone", "us-east-1a"},
                                     {"BlockDeviceMapping.1.DeviceName", "/dev/sda1"},
                                     {"BlockDeviceMapping.1.Ebs.VolumeSize", "150"},
                                     {"BlockDeviceMapping.1.Ebs.VolumeType", "gp3"},
                                     {"BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true"},
                                     {"TagSpecification.1.ResourceType", "instance"},
                                     {"TagSpecification.1.Tag.1.Key", "Name"},
                                     {"TagSpecification.1.Tag.1.Value", "gpunb-train"},
                                     {"TagSpecification.1.Tag.2.Key", "gpunb:name"},
                                     {"TagSpecification.1.Tag.2.Value", "train"}});
  EXPECT_EQ(form(h.http.requests[0]).count("InstanceMarketOptions.MarketType"), 0u);
}

TEST(Ec2Instances, RunSpotIsPersistentAndStopsOnInterruption) {
  auto request = gpu_request();
  request.spot = true;
  request.zone.reset();
  request.root_device_name = "/dev/xvda";
  Params params = run_instances_params(request);
  std::map<std::string, std::string> map(params.begin(), params.end());
  EXPECT_EQ(map.at("InstanceMarketOptions.MarketType"), "spot");
  EXPECT_EQ(map.at("InstanceMarketOptions.SpotOptions.SpotInstanceType"), "persistent");
  EXPECT_EQ(map.at("InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior"), "stop");
  EXPECT_EQ(map.at("BlockDeviceMapping.1.DeviceName"), "/dev/xvda");
  EXPECT_EQ(map.count("Placement.AvailabilityZone"), 0u);
}

TEST(Ec2Instances, RunCapacityErrorIsCapacityKind) {
  Harness h;
  h.http.reply(500, testing::data_file("error_insufficient_capacity.xml"));
  auto instance = run_instances(h.client, gpu_request());
  ASSERT_FALSE(instance);
  EXPECT_EQ(instance.error().kind, core::ErrorKind::capacity);
  EXPECT_EQ(h.http.requests.size(), 1u)
      << "EC2 answers 500, but retrying cannot help: fail over at once";
}

TEST(Ec2Instances, ParsesAPageAcrossReservations) {
  auto instances = parse_instances(Xml("describe_instances_page1.xml").root());
  ASSERT_EQ(instances.size(), 2u);
  const auto& spot = instances[0];
  EXPECT_EQ(spot.id, "i-0598c7d356eba48d7");
  EXPECT_EQ(spot.type, "g5.xlarge");
  EXPECT_EQ(spot.state, "running");
  EXPECT_EQ(spot.public_ip, "54.210.7.31");
  EXPECT_EQ(spot.private_ip, "172.31.10.20");
  EXPECT_EQ(spot.zone, "us-east-1b");
  EXPECT_EQ(spot.image_id, "ami-0a1b2c3d4e5f60002");
  EXPECT_EQ(spot.key_name, "gpunb-0123456789abcdef");
  EXPECT_EQ(spot.launch_time, 1704067200);
  EXPECT_EQ(spot.client_token, "gpunb-5f2b0c1e9a");
  EXPECT_EQ(spot.lifecycle, "spot");
  EXPECT_EQ(spot.tags, (Tags{{"Name", "gpunb-train"}, {"gpunb:name", "train"}}));
  EXPECT_EQ(spot.security_group_ids, (std::vector<std::string>{"sg-0a1b2c3d4e5f60001"}));
  const auto& stopped = instances[1];
  EXPECT_EQ(stopped.state, "stopped");
  EXPECT_EQ(stopped.public_ip, "") << "a stopped instance has no public IP";
  EXPECT_EQ(stopped.lifecycle, "");
  EXPECT_EQ(spot.transition_time, 0) << "<reason/> is empty while running";
  EXPECT_EQ(stopped.transition_time, 1706933106) << "User initiated (2024-02-03 04:05:06 GMT)";
  EXPECT_EQ(parse_next_token(Xml("describe_instances_page1.xml").root()),
            "eyJ2IjoiMiIsImMiOiJwYWdlMiJ9");
  EXPECT_EQ(parse_next_token(Xml("describe_instances_page2.xml").root()), "");
}

TEST(Ec2Instances, TransitionTimeFromTheReasonText) {
  EXPECT_EQ(parse_transition_time("User initiated (2024-02-03 04:05:06 GMT)"), 1706933106);
  EXPECT_EQ(parse_transition_time("Service initiated (2026-11-27 05:00:00 GMT)"), 1795755600);
  EXPECT_EQ(parse_transition_time("Client.UserInitiatedShutdown: (2024-02-03 04:05:06 GMT) x"),
            1706933106)
      << "anywhere in the text";
}

TEST(Ec2Instances, TransitionTimeAbsentOrMalformedIsZero) {
  for (const char* reason :
       {"", "User initiated", "User initiated ()", "(2024-02-03 04:05:06)", " GMT)",
        "User initiated (2024-02-03T04:05:06Z)", "User initiated (2024-13-03 04:05:06 GMT)",
        "User initiated (2024-02-30 04:05:06 GMT)", "User initiated (2024-02-03 24:05:06 GMT)",
        "User initiated (2024-02-03 04:05 GMT)", "User initiated 2024-02-03 04:05:06 GMT)",
        "User initiated (2024/02/03 04:05:06 GMT)"})
    EXPECT_EQ(parse_transition_time(reason), 0) << reason;
}

TEST(Ec2Instances, DescribeFollowsNextToken) {
  Harness h;
  h.http.reply_file("describe_instances_page1.xml");
  h.http.reply_file("describe_instances_page2.xml");
  auto instances = describe_instances(
      h.client, {{"tag-key", {"gpunb:name"}}, {"instance-state-name", {"running", "stopped"}}}, {});
  ASSERT_TRUE(instances) << instances.error().message;
  ASSERT_EQ(instances->size(), 3u);
  EXPECT_EQ((*instances)[2].id, "i-0eeeeffff00001111");
  EXPECT_TRUE((*instances)[2].tags.empty());
  ASSERT_EQ(h.http.requests.size(), 2u);
  expect_params(h.http.requests[0], {{"Action", "DescribeInstances"},
                                     {"Filter.1.Name", "tag-key"},
                                     {"Filter.1.Value.1", "gpunb:name"},
                                     {"Filter.2.Name", "instance-state-name"},
                                     {"Filter.2.Value.1", "running"},
                                     {"Filter.2.Value.2", "stopped"},
                                     {"MaxResults", "1000"}});
  EXPECT_EQ(form(h.http.requests[0]).count("NextToken"), 0u);
  expect_params(h.http.requests[1],
                {{"NextToken", "eyJ2IjoiMiIsImMiOiJwYWdlMiJ9"}, {"MaxResults", "1000"}});
}

TEST(Ec2Instances, DescribeByIdsAndEmptyReservations) {
  Harness h;
  h.http.reply_file("describe_instances_empty.xml");
  auto instances = describe_instances(h.client, {}, {"i-1", "i-2"});
  ASSERT_TRUE(instances);
  EXPECT_TRUE(instances->empty());
  expect_params(h.http.requests[0], {{"InstanceId.1", "i-1"}, {"InstanceId.2", "i-2"}});
  EXPECT_EQ(form(h.http.requests[0]).count("MaxResults"), 0u) << "EC2 refuses MaxResults with ids";
}

TEST(Ec2Instances, DescribeUnknownIdIsNotFound) {
  Harness h;
  h.http.reply(400, testing::error_envelope("InvalidInstanceID.NotFound",
                                            "The instance ID 'i-1' does not exist"));
  auto instances = describe_instances(h.client, {}, {"i-1"});
  ASSERT_FALSE(instances);
  EXPECT_EQ(instances.error().kind, core::ErrorKind::not_found);
  EXPECT_EQ(instances.error().message.rfind("DescribeInstances: ", 0), 0u);
}

TEST(Ec2Instances, StateChanges) {
  struct Case {
    std::string file, action, previous, current;
    core::Result<std::vector<StateChange>> (*call)(Ec2Client&, const std::vector<std::string>&);
  };
  for (const auto& item : std::vector<Case>{
           {"start_instances.xml", "StartInstances", "stopped", "pending", start_instances},
           {"stop_instances.xml", "StopInstances", "running", "stopping", stop_instances},
           {"terminate_instances.xml", "TerminateInstances", "running", "shutting-down",
            terminate_instances}}) {
    Harness h;
    h.http.reply_file(item.file);
    auto changes = item.call(h.client, {"i-1234567890abcdef0"});
    ASSERT_TRUE(changes) << item.action;
    ASSERT_EQ(changes->size(), 1u);
    EXPECT_EQ((*changes)[0].id, "i-1234567890abcdef0");
    EXPECT_EQ((*changes)[0].previous, item.previous);
    EXPECT_EQ((*changes)[0].current, item.current);
    expect_params(h.http.requests[0],
                  {{"Action", item.action}, {"InstanceId.1", "i-1234567890abcdef0"}});
  }
}

TEST(Ec2Instances, ConsoleOutputIsDecoded) {
  Harness h;
  h.http.reply_file("get_console_output.xml");
  h.http.reply_file("get_console_output_empty.xml");
  auto text = get_console_output(h.client, "i-1234567890abcdef0", false);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->rfind("Linux version 5.15.0-1063-aws\r\n", 0), 0u) << *text;
  EXPECT_NE(text->find("Cloud-init v. 23.4 finished"), std::string::npos);
  expect_params(h.http.requests[0],
                {{"Action", "GetConsoleOutput"}, {"InstanceId", "i-1234567890abcdef0"}});
  auto empty = get_console_output(h.client, "i-1234567890abcdef0", true);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
  expect_params(
      h.http.requests[1],
      {{"Action", "GetConsoleOutput"}, {"InstanceId", "i-1234567890abcdef0"}, {"Latest", "true"}});
}

TEST(Ec2Instances, CreateTagsSendsResourcesAndTags) {
  Harness h;
  h.http.reply_file("create_tags.xml");
  EXPECT_TRUE(create_tags(h.client, {"i-1", "vol-2"}, {{"gpunb:name", "train"}}));
  expect_params(h.http.requests[0], {{"Action", "CreateTags"},
                                     {"ResourceId.1", "i-1"},
                                     {"ResourceId.2", "vol-2"},
                                     {"Tag.1.Key", "gpunb:name"},
                                     {"Tag.1.Value", "train"}});
}

}  // namespace gpunb::aws
