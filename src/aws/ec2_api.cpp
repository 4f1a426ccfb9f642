// Images, instance types, regions and zones.
#include "aws/ec2_api.hpp"

#include <algorithm>
#include <array>

#include "aws/ec2_support.hpp"
#include "base/expected.hpp"
#include "base/strings.hpp"

namespace gpunb::aws {

namespace {

Image parse_image(const pugi::xml_node& item) {
  Image image;
  image.id = child_text(item, "imageId");
  image.name = child_text(item, "name");
  image.creation_date = child_text(item, "creationDate");
  image.owner_id = child_text(item, "imageOwnerId");
  image.platform_details = child_text(item, "platformDetails");
  image.description = child_text(item, "description");
  image.architecture = child_text(item, "architecture");
  image.state = child_text(item, "imageState");
  image.root_device_name = child_text(item, "rootDeviceName");
  return image;
}

InstanceTypeInfo parse_instance_type(const pugi::xml_node& item) {
  InstanceTypeInfo info;
  info.name = child_text(item, "instanceType");
  info.vcpus = static_cast<int>(to_int(item.child("vCpuInfo").child_value("defaultVCpus")));
  info.memory_mib = to_int(item.child("memoryInfo").child_value("sizeInMiB"));
  auto gpu_info = item.child("gpuInfo");
  for (const auto& gpu : items(gpu_info, "gpus")) {
    info.gpu_count += static_cast<int>(to_int(gpu.child_value("count")));
    if (!info.gpu_name.empty()) continue;
    info.gpu_name = child_text(gpu, "name");
    info.gpu_manufacturer = child_text(gpu, "manufacturer");
    info.gpu_memory_mib = to_int(gpu.child("memoryInfo").child_value("sizeInMiB"));
  }
  info.total_gpu_memory_mib = to_int(gpu_info.child_value("totalGpuMemoryInMiB"));
  if (info.total_gpu_memory_mib == 0)
    info.total_gpu_memory_mib = info.gpu_memory_mib * info.gpu_count;
  return info;
}

// The login user named by an image's text (name or description); empty when it names none.
std::string user_named_in(const std::string& text) {
  auto lower = base::to_lower(text);
  auto has = [&](std::string_view word) { return lower.find(word) != std::string::npos; };
  if (has("ubuntu")) return "ubuntu";
  if (has("amazon linux") || has("al2023") || has("amzn")) return "ec2-user";
  if (has("debian")) return "admin";
  return {};
}

}  // namespace

core::Result<std::vector<Image>> describe_images(Ec2Client& client,
                                                 const std::vector<std::string>& owners,
                                                 const std::vector<std::string>& name_patterns,
                                                 const std::vector<std::string>& image_ids) {
  Params params;
  if (!name_patterns.empty()) add_filters(params, {{"name", name_patterns}});
  add_list(params, "Owner", owners);
  add_list(params, "ImageId", image_ids);
  std::vector<Image> images;
  auto status =
      for_each_page(client, "DescribeImages", params, [&](const pugi::xml_node& response) {
        auto page = parse_images(response);
        images.insert(images.end(), page.begin(), page.end());
      });
  TRY(status);
  return images;
}

std::vector<Image> parse_images(const pugi::xml_node& response) {
  std::vector<Image> images;
  for (const auto& item : items(response, "imagesSet")) images.push_back(parse_image(item));
  return images;
}

std::optional<Image> newest_image(const std::vector<Image>& images) {
  std::optional<Image> newest;
  for (const auto& image : images) {
    if (!image.state.empty() && image.state != "available") continue;
    if (!newest || parse_iso8601(image.creation_date) > parse_iso8601(newest->creation_date))
      newest = image;
  }
  return newest;
}

std::string login_user_for(const Image& image) {
  for (const auto* text : {&image.name, &image.description, &image.platform_details}) {
    if (auto user = user_named_in(*text); !user.empty()) return user;
  }
  return "ubuntu";
}

core::Result<std::vector<InstanceTypeInfo>> describe_instance_types(
    Ec2Client& client, const std::vector<std::string>& types) {
  Params params;
  add_list(params, "InstanceType", types);
  std::vector<InstanceTypeInfo> infos;
  auto status =
      for_each_page(client, "DescribeInstanceTypes", params, [&](const pugi::xml_node& response) {
        auto page = parse_instance_types(response);
        infos.insert(infos.end(), page.begin(), page.end());
      });
  TRY(status);
  return infos;
}

std::vector<InstanceTypeInfo> parse_instance_types(const pugi::xml_node& response) {
  std::vector<InstanceTypeInfo> infos;
  for (const auto& item : items(response, "instanceTypeSet"))
    infos.push_back(parse_instance_type(item));
  return infos;
}

core::Result<std::vector<std::string>> describe_regions(Ec2Client& client) {
  auto document = client.call("DescribeRegions", {});
  TRY(document);
  return parse_regions((*document)->document_element());
}

std::vector<std::string> parse_regions(const pugi::xml_node& response) {
  std::vector<std::string> regions;
  for (const auto& item : items(response, "regionInfo"))
    regions.push_back(child_text(item, "regionName"));
  return regions;
}

core::Result<std::vector<std::string>> describe_availability_zones(Ec2Client& client) {
  auto document = client.call("DescribeAvailabilityZones", {});
  TRY(document);
  return parse_availability_zones((*document)->document_element());
}

std::vector<std::string> parse_availability_zones(const pugi::xml_node& response) {
  std::vector<std::string> zones;
  for (const auto& item : items(response, "availabilityZoneInfo")) {
    if (child_text(item, "zoneState") == "available") zones.push_back(child_text(item, "zoneName"));
  }
  return zones;
}

}  // namespace gpunb::aws
