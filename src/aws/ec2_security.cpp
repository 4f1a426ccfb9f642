// Key pairs and security groups.
#include <fmt/format.h>

#include "aws/ec2_api.hpp"
#include "aws/ec2_errors.hpp"
#include "aws/ec2_support.hpp"
#include "base/expected.hpp"

namespace gpunb::aws {

namespace {

KeyPairInfo parse_key_pair(const pugi::xml_node& node) {
  return {child_text(node, "keyName"), child_text(node, "keyPairId"),
          child_text(node, "keyFingerprint")};
}

IngressRule parse_permission(const pugi::xml_node& item) {
  IngressRule rule;
  rule.protocol = child_text(item, "ipProtocol");
  rule.from_port = static_cast<int>(to_int(child_text(item, "fromPort")));
  rule.to_port = static_cast<int>(to_int(child_text(item, "toPort")));
  for (const auto& range : items(item, "ipRanges"))
    rule.cidrs.push_back(child_text(range, "cidrIp"));
  return rule;
}

SecurityGroup parse_security_group(const pugi::xml_node& item) {
  SecurityGroup group;
  group.id = child_text(item, "groupId");
  group.name = child_text(item, "groupName");
  group.description = child_text(item, "groupDescription");
  for (const auto& permission : items(item, "ipPermissions"))
    group.ingress.push_back(parse_permission(permission));
  return group;
}

Params ingress_params(const std::string& group_id, const IngressRule& rule) {
  Params params = {{"GroupId", group_id},
                   {"IpPermissions.1.IpProtocol", rule.protocol},
                   {"IpPermissions.1.FromPort", std::to_string(rule.from_port)},
                   {"IpPermissions.1.ToPort", std::to_string(rule.to_port)}};
  for (size_t i = 0; i < rule.cidrs.size(); ++i) {
    params.emplace_back(fmt::format("IpPermissions.1.IpRanges.{}.CidrIp", i + 1), rule.cidrs[i]);
  }
  return params;
}

}  // namespace

core::Result<KeyPairInfo> import_key_pair(Ec2Client& client, const std::string& name,
                                          const std::string& openssh_public_key) {
  Params params = {{"KeyName", name}, {"PublicKeyMaterial", base64_encode(openssh_public_key)}};
  auto document = client.call("ImportKeyPair", params);
  TRY(document);
  return parse_imported_key_pair((*document)->document_element());
}

KeyPairInfo parse_imported_key_pair(const pugi::xml_node& response) {
  return parse_key_pair(response);
}

core::Result<std::vector<KeyPairInfo>> describe_key_pairs(Ec2Client& client,
                                                          const std::vector<std::string>& names) {
  Params params;
  add_list(params, "KeyName", names);
  auto document = client.call("DescribeKeyPairs", params);
  if (!document && has_ec2_code(document.error(), "InvalidKeyPair.NotFound"))
    return std::vector<KeyPairInfo>{};
  TRY(document);
  return parse_key_pairs((*document)->document_element());
}

std::vector<KeyPairInfo> parse_key_pairs(const pugi::xml_node& response) {
  std::vector<KeyPairInfo> keys;
  for (const auto& item : items(response, "keySet")) keys.push_back(parse_key_pair(item));
  return keys;
}

core::Status delete_key_pair(Ec2Client& client, const std::string& name) {
  return call_status(client, "DeleteKeyPair", {{"KeyName", name}});
}

core::Result<std::string> create_security_group(Ec2Client& client, const std::string& name,
                                                const std::string& description) {
  auto document =
      client.call("CreateSecurityGroup", {{"GroupName", name}, {"GroupDescription", description}});
  TRY(document);
  auto id = child_text((*document)->document_element(), "groupId");
  if (id.empty())
    return core::fail(core::ErrorKind::cloud, "CreateSecurityGroup: EC2 returned no group id");
  return id;
}

core::Result<std::vector<SecurityGroup>> describe_security_groups(
    Ec2Client& client, const std::vector<std::string>& group_names,
    const std::vector<Filter>& filters) {
  Params params;
  add_list(params, "GroupName", group_names);
  add_filters(params, filters);
  std::vector<SecurityGroup> groups;
  auto status =
      for_each_page(client, "DescribeSecurityGroups", params, [&](const pugi::xml_node& response) {
        auto page = parse_security_groups(response);
        groups.insert(groups.end(), page.begin(), page.end());
      });
  if (!status && has_ec2_code(status.error(), "InvalidGroup.NotFound"))
    return std::vector<SecurityGroup>{};
  TRY(status);
  return groups;
}

std::vector<SecurityGroup> parse_security_groups(const pugi::xml_node& response) {
  std::vector<SecurityGroup> groups;
  for (const auto& item : items(response, "securityGroupInfo"))
    groups.push_back(parse_security_group(item));
  return groups;
}

core::Status authorize_ingress(Ec2Client& client, const std::string& group_id,
                               const IngressRule& rule) {
  auto status =
      call_status(client, "AuthorizeSecurityGroupIngress", ingress_params(group_id, rule));
  if (!status && has_ec2_code(status.error(), "InvalidPermission.Duplicate")) return {};
  return status;
}

core::Status delete_security_group(Ec2Client& client, const std::string& group_id) {
  return call_status(client, "DeleteSecurityGroup", {{"GroupId", group_id}});
}

}  // namespace gpunb::aws
