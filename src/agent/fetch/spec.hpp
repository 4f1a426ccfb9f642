// What a fetch job is: where the data comes from, where it goes, and how. gpunb writes it as JSON
// (to the agent's stdin or through the "fetch.start" op); presigned S3 URLs travel only in it,
// never on a command line, and it is deleted once the job has read it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/fetch/gdocs.hpp"
#include "agent/fetch/gdrive.hpp"
#include "base/error.hpp"
#include "data/archive/extract.hpp"

namespace gpunb::agent {

struct FetchItem {
  std::string url;
  std::string name;  // relative path in the target folder ("a/b.csv"); empty: from the server
  std::optional<std::uint64_t> size;
  std::optional<std::string> md5;     // an S3 single-part ETag
  std::optional<std::string> sha256;  // --sha256, for a single file
};

struct FetchSpec {
  std::string id;      // [a-z0-9-]
  std::string source;  // for humans: the URL without its query, s3://bucket/prefix, gdrive:ID
  std::filesystem::path dir;
  std::vector<FetchItem> items;          // HTTP(S) and presigned S3 objects ("items", or "url")
  std::optional<std::string> gdrive_id;  // or one Google Drive file
  std::optional<data::DocLink> doc;      // which is a Google Docs/Sheets/Slides link
  std::optional<std::string> format;     // --format: the export format of a document
  data::GdriveEndpoint gdrive;
  std::optional<std::string> sha256;  // --sha256: the one file's
  bool extract = false;
  int connections = 8;  // ranged connections for one large file
  int parallel = 16;    // objects at once
  data::ExtractLimits limits;
  std::string ca_file;  // empty: the usual bundles
};

Result<FetchSpec> parse_fetch_spec(const nlohmann::json& json);
bool valid_fetch_id(const std::string& id);

}  // namespace gpunb::agent
