#include <gtest/gtest.h>

#include "aws/ec2_api.hpp"
#include "test_aws_ec2_fakes.hpp"

namespace gpunb::aws {

namespace {

using testing::expect_params;
using testing::Harness;
using testing::Xml;

}  // namespace

TEST(Ec2KeyPairs, ImportSendsBase64KeyAndParsesTheReply) {
  Harness h;
  h.http.reply_file("import_key_pair.xml");
  auto key = import_key_pair(h.client, "gpunb-0123456789abcdef", "ssh-ed25519 AAAA k@h\n");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->name, "gpunb-0123456789abcdef");
  EXPECT_EQ(key->id, "key-0a1b2c3d4e5f60001");
  EXPECT_EQ(key->fingerprint, "3qH8s0s/8I2Hq6i1k2Q0JkTgU0+u3Jb5a3gS3r8xk8o=");
  expect_params(h.http.requests[0], {{"Action", "ImportKeyPair"},
                                     {"KeyName", "gpunb-0123456789abcdef"},
                                     {"PublicKeyMaterial", "c3NoLWVkMjU1MTkgQUFBQSBrQGgK"}});
}

TEST(Ec2KeyPairs, DescribeParsesKeysAndNotFoundIsEmpty) {
  auto keys = parse_key_pairs(Xml("describe_key_pairs.xml").root());
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].name, "gpunb-0123456789abcdef");
  EXPECT_EQ(keys[0].id, "key-0a1b2c3d4e5f60001");
  Harness h;
  h.http.reply(400, testing::data_file("error_key_pair_not_found.xml"));
  auto none = describe_key_pairs(h.client, {"gpunb-0123456789abcdef"});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
  expect_params(h.http.requests[0],
                {{"Action", "DescribeKeyPairs"}, {"KeyName.1", "gpunb-0123456789abcdef"}});
}

TEST(Ec2KeyPairs, DescribeKeepsOtherErrors) {
  Harness h;
  h.http.reply(403, testing::data_file("error_unauthorized.xml"));
  auto keys = describe_key_pairs(h.client, {"k"});
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().kind, core::ErrorKind::cloud);
  EXPECT_EQ(keys.error().message.find("EXAMPLE-ENCODED-BLOB"), std::string::npos);
  EXPECT_NE(keys.error().message.find("ec2:RunInstances"), std::string::npos);
}

TEST(Ec2KeyPairs, DeleteSendsTheName) {
  Harness h;
  h.http.reply_file("delete_key_pair.xml");
  EXPECT_TRUE(delete_key_pair(h.client, "gpunb-k"));
  expect_params(h.http.requests[0], {{"Action", "DeleteKeyPair"}, {"KeyName", "gpunb-k"}});
}

TEST(Ec2SecurityGroups, CreateReturnsTheId) {
  Harness h;
  h.http.reply_file("create_security_group.xml");
  auto id = create_security_group(h.client, "gpunb-train", "gpunb: SSH to machine train");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "sg-0a1b2c3d4e5f60001");
  expect_params(h.http.requests[0], {{"Action", "CreateSecurityGroup"},
                                     {"GroupName", "gpunb-train"},
                                     {"GroupDescription", "gpunb: SSH to machine train"}});
}

TEST(Ec2SecurityGroups, ParsesGroupsAndIngressRules) {
  auto groups = parse_security_groups(Xml("describe_security_groups.xml").root());
  ASSERT_EQ(groups.size(), 1u);
  const auto& group = groups[0];
  EXPECT_EQ(group.id, "sg-0a1b2c3d4e5f60001");
  EXPECT_EQ(group.name, "gpunb-train");
  EXPECT_EQ(group.description, "gpunb: SSH to machine train from one address");
  ASSERT_EQ(group.ingress.size(), 2u) << "egress rules are not ingress";
  EXPECT_EQ(group.ingress[0].protocol, "tcp");
  EXPECT_EQ(group.ingress[0].from_port, 22);
  EXPECT_EQ(group.ingress[0].to_port, 22);
  EXPECT_EQ(group.ingress[0].cidrs,
            (std::vector<std::string>{"203.0.113.7/32", "198.51.100.0/24"}));
  EXPECT_EQ(group.ingress[1].protocol, "-1");
  EXPECT_TRUE(group.ingress[1].cidrs.empty());
}

TEST(Ec2SecurityGroups, DescribeByNameAndFiltersNotFoundIsEmpty) {
  Harness h;
  h.http.reply_file("describe_security_groups.xml");
  h.http.reply(400, testing::data_file("error_group_not_found.xml"));
  auto groups = describe_security_groups(h.client, {"gpunb-train"}, {{"vpc-id", {"vpc-0a1b2c3d"}}});
  ASSERT_TRUE(groups);
  EXPECT_EQ(groups->size(), 1u);
  expect_params(h.http.requests[0], {{"Action", "DescribeSecurityGroups"},
                                     {"GroupName.1", "gpunb-train"},
                                     {"Filter.1.Name", "vpc-id"},
                                     {"Filter.1.Value.1", "vpc-0a1b2c3d"}});
  auto none = describe_security_groups(h.client, {"gpunb-gone"});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
}

TEST(Ec2SecurityGroups, AuthorizeSendsOneRuleAndDuplicateIsSuccess) {
  Harness h;
  h.http.reply_file("authorize_security_group_ingress.xml");
  h.http.reply(400, testing::data_file("error_permission_duplicate.xml"));
  IngressRule rule{"tcp", 22, 22, {"203.0.113.7/32", "198.51.100.0/24"}};
  EXPECT_TRUE(authorize_ingress(h.client, "sg-1", rule));
  expect_params(h.http.requests[0], {{"Action", "AuthorizeSecurityGroupIngress"},
                                     {"GroupId", "sg-1"},
                                     {"IpPermissions.1.IpProtocol", "tcp"},
                                     {"IpPermissions.1.FromPort", "22"},
                                     {"IpPermissions.1.ToPort", "22"},
                                     {"IpPermissions.1.IpRanges.1.CidrIp", "203.0.113.7/32"},
                                     {"IpPermissions.1.IpRanges.2.CidrIp", "198.51.100.0/24"}});
  auto again = authorize_ingress(h.client, "sg-1", rule);
  EXPECT_TRUE(again) << again.error().message;
}

TEST(Ec2SecurityGroups, DeleteSendsTheId) {
  Harness h;
  h.http.reply_file("delete_security_group.xml");
  EXPECT_TRUE(delete_security_group(h.client, "sg-1"));
  expect_params(h.http.requests[0], {{"Action", "DeleteSecurityGroup"}, {"GroupId", "sg-1"}});
}

}  // namespace gpunb::aws
