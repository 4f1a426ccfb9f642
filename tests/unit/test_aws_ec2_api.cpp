#include <gtest/gtest.h>

#include "aws/ec2_api.hpp"
#include "aws/ec2_support.hpp"
#include "test_aws_ec2_fakes.hpp"

namespace gpunb::aws {

namespace {

using testing::expect_params;
using testing::Harness;
using testing::Xml;

}  // namespace

TEST(Ec2Images, ParsesImages) {
  auto images = parse_images(Xml("describe_images.xml").root());
  ASSERT_EQ(images.size(), 3u);
  EXPECT_EQ(images[0].id, "ami-0a1b2c3d4e5f60001");
  EXPECT_EQ(images[0].name,
            "Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.3.0 (Ubuntu 20.04) 20240601");
  EXPECT_EQ(images[0].creation_date, "2024-06-01T10:11:12.000Z");
  EXPECT_EQ(images[0].owner_id, "898082745236");
  EXPECT_EQ(images[0].platform_details, "Linux/UNIX");
  EXPECT_EQ(images[0].architecture, "x86_64");
  EXPECT_EQ(images[0].state, "available");
  EXPECT_EQ(images[0].root_device_name, "/dev/sda1");
  EXPECT_NE(images[0].description.find("G5"), std::string::npos);
  EXPECT_EQ(images[2].root_device_name, "/dev/xvda");
  EXPECT_TRUE(parse_images(Xml("describe_images_empty.xml").root()).empty());
}

TEST(Ec2Images, NewestAvailableImageAndLoginUser) {
  auto images = parse_images(Xml("describe_images.xml").root());
  auto newest = newest_image(images);
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->id, "ami-0a1b2c3d4e5f60002") << "the pending image is skipped";
  EXPECT_FALSE(newest_image({}));
  EXPECT_EQ(login_user_for(images[0]), "ubuntu");
  EXPECT_EQ(login_user_for(images[2]), "ec2-user");
  EXPECT_EQ(login_user_for(Image{.name = "al2023-ami-2023.4.20240611.0-kernel-6.1-x86_64"}),
            "ec2-user");
  EXPECT_EQ(login_user_for(Image{.name = "amzn2-ami-kernel-5.10-hvm-2.0"}), "ec2-user");
  EXPECT_EQ(login_user_for(Image{.name = "debian-12-amd64-20240507-1740"}), "admin");
  EXPECT_EQ(login_user_for(Image{.name = "my-custom-image"}), "ubuntu");
}

TEST(Ec2Images, DescribeImagesSendsOwnersPatternsAndIds) {
  Harness h;
  h.http.reply_file("describe_images.xml");
  auto images =
      describe_images(h.client, {"amazon", "self"}, {"Deep Learning*Ubuntu*", "Other*"}, {"ami-1"});
  ASSERT_TRUE(images) << images.error().message;
  EXPECT_EQ(images->size(), 3u);
  expect_params(h.http.requests[0], {{"Action", "DescribeImages"},
                                     {"Filter.1.Name", "name"},
                                     {"Filter.1.Value.1", "Deep Learning*Ubuntu*"},
                                     {"Filter.1.Value.2", "Other*"},
                                     {"Owner.1", "amazon"},
                                     {"Owner.2", "self"},
                                     {"ImageId.1", "ami-1"}});
}

TEST(Ec2InstanceTypes, ParsesGpuAndCpuTypes) {
  auto infos = parse_instance_types(Xml("describe_instance_types.xml").root());
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_EQ(infos[0].name, "g5.xlarge");
  EXPECT_EQ(infos[0].vcpus, 4);
  EXPECT_EQ(infos[0].memory_mib, 16384);
  EXPECT_EQ(infos[0].gpu_count, 1);
  EXPECT_EQ(infos[0].gpu_name, "A10G");
  EXPECT_EQ(infos[0].gpu_manufacturer, "NVIDIA");
  EXPECT_EQ(infos[0].gpu_memory_mib, 24576);
  EXPECT_EQ(infos[0].total_gpu_memory_mib, 24576);
  EXPECT_EQ(infos[1].gpu_count, 4);
  EXPECT_EQ(infos[1].gpu_memory_mib, 16384);
  EXPECT_EQ(infos[1].total_gpu_memory_mib, 65536);
  EXPECT_EQ(infos[2].name, "t3.micro");
  EXPECT_EQ(infos[2].gpu_count, 0);
  EXPECT_EQ(infos[2].gpu_name, "");
  EXPECT_EQ(infos[2].total_gpu_memory_mib, 0);
}

TEST(Ec2InstanceTypes, DescribeSendsTypes) {
  Harness h;
  h.http.reply_file("describe_instance_types.xml");
  auto infos = describe_instance_types(h.client, {"g5.xlarge", "t3.micro"});
  ASSERT_TRUE(infos);
  expect_params(h.http.requests[0], {{"Action", "DescribeInstanceTypes"},
                                     {"InstanceType.1", "g5.xlarge"},
                                     {"InstanceType.2", "t3.micro"}});
}

TEST(Ec2InstanceTypes, UnknownTypeIsNotFound) {
  Harness h;
  h.http.reply(400, testing::error_envelope(
                        "InvalidInstanceType",
                        "The following supplied instance types do not exist: [g9.huge]"));
  auto infos = describe_instance_types(h.client, {"g9.huge"});
  ASSERT_FALSE(infos);
  EXPECT_EQ(infos.error().kind, core::ErrorKind::not_found);
}

TEST(Ec2Regions, ParsesRegionsAndAvailableZones) {
  EXPECT_EQ(parse_regions(Xml("describe_regions.xml").root()),
            (std::vector<std::string>{"us-east-1", "eu-west-1", "ap-northeast-1"}));
  EXPECT_EQ(parse_availability_zones(Xml("describe_availability_zones.xml").root()),
            (std::vector<std::string>{"us-east-1a", "us-east-1c"}));
  Harness h;
  h.http.reply_file("describe_regions.xml");
  h.http.reply_file("describe_availability_zones.xml");
  EXPECT_EQ(describe_regions(h.client)->size(), 3u);
  EXPECT_EQ(describe_availability_zones(h.client)->size(), 2u);
  expect_params(h.http.requests[0], {{"Action", "DescribeRegions"}});
  expect_params(h.http.requests[1], {{"Action", "DescribeAvailabilityZones"}});
}

TEST(Ec2Support, Base64AndIso8601) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("ssh-ed25519 AAAA k@h\n"), "c3NoLWVkMjU1MTkgQUFBQSBrQGgK");
  EXPECT_EQ(parse_iso8601("2024-01-01T00:00:00.000Z"), 1704067200);
  EXPECT_EQ(parse_iso8601("2024-02-29T12:34:56Z"), 1709210096);
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00"), 0);
  EXPECT_EQ(parse_iso8601("2024-02-30T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601("2024-01-01T24:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601("garbage"), 0);
  EXPECT_EQ(parse_iso8601(""), 0);
}

}  // namespace gpunb::aws
