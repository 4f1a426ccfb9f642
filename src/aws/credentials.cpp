#include "aws/credentials.hpp"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <regex>

#include "aws/ini.hpp"
#include "base/expected.hpp"
#include "base/files.hpp"
#include "base/strings.hpp"

namespace gpunb::aws {

namespace {

constexpr std::string_view kCredentialsHint =
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`";

// What ~/.aws/credentials and ~/.aws/config say, by profile name.
struct AwsFiles {
  std::filesystem::path credentials_path;
  std::filesystem::path config_path;
  IniFile credentials;                         // [name]
  std::map<std::string, IniSection> profiles;  // config: [profile name], [default]
  std::map<std::string, IniSection> services;  // config: [services name]
};

// Set and non-empty, as botocore reads the environment.
std::optional<std::string> env_value(const util::Env& env, const std::string& name) {
  auto value = env.get(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::optional<std::string> given(const std::optional<std::string>& option) {
  return option && !option->empty() ? option : std::nullopt;
}

std::filesystem::path file_path(const util::Env& env, const std::string& variable,
                                const char* name) {
  auto path = env_value(env, variable).value_or(std::string("~/.aws/") + name);
  if (path == "~") return env.home();
  if (path.starts_with("~/")) return env.home() / path.substr(2);
  return path;
}

IniFile read_ini(const std::filesystem::path& path) {
  auto text = base::read_file(path);
  return text ? parse_ini(*text) : IniFile{};
}

// "profile name" or "profile \"name\"" → name; anything else (as shlex.split finds ≠ 2 words) →
// none.
std::optional<std::string> prefixed_name(const std::string& header, std::string_view prefix) {
  if (!header.starts_with(prefix) || header.size() == prefix.size()) return std::nullopt;
  if (header[prefix.size()] != ' ' && header[prefix.size()] != '\t') return std::nullopt;
  auto name = base::trim(std::string_view(header).substr(prefix.size()));
  if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'') &&
      name.back() == name.front()) {
    return name.substr(1, name.size() - 2);
  }
  if (name.empty() || name.find_first_of(" \t\"'") != std::string::npos) return std::nullopt;
  return name;
}

void sort_config_sections(const IniFile& config, AwsFiles& files) {
  for (const auto& [header, section] : config) {
    if (header == "default") {
      files.profiles.try_emplace("default", section);  // [profile default] wins over [default]
    } else if (auto profile = prefixed_name(header, "profile")) {
      files.profiles[*profile] = section;
    } else if (auto services = prefixed_name(header, "services")) {
      files.services[*services] = section;
    }
  }
}

AwsFiles load_files(const util::Env& env) {
  AwsFiles files;
  files.credentials_path = file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  files.config_path = file_path(env, "AWS_CONFIG_FILE", "config");
  files.credentials = read_ini(files.credentials_path);
  sort_config_sections(read_ini(files.config_path), files);
  return files;
}

const IniSection* find(const std::map<std::string, IniSection>& sections, const std::string& name) {
  auto it = sections.find(name);
  return it == sections.end() ? nullptr : &it->second;
}

std::optional<std::string> lookup(const IniSection* section, const std::string& key) {
  if (section == nullptr) return std::nullopt;
  auto it = section->find(key);
  if (it == section->end() || it->second.empty()) return std::nullopt;
  return it->second;
}

struct Profile {
  std::string name;
  bool named = false;          // from --profile or AWS_PROFILE
  bool explicit_flag = false;  // from --profile: the AWS CLI then ignores credentials in env
};

Profile choose_profile(const AwsOptions& options, const util::Env& env) {
  if (auto flag = given(options.profile)) return {*flag, true, true};
  if (auto variable = env_value(env, "AWS_PROFILE")) return {*variable, true, false};
  return {"default", false, false};
}

}  // namespace

namespace {

using MaybeCredentials = core::Result<std::optional<Credentials>>;

MaybeCredentials env_credentials(const util::Env& env) {
  auto key = env_value(env, "AWS_ACCESS_KEY_ID");
  auto secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
  if (!key && !secret) return std::nullopt;
  if (!secret) {
    return core::fail(core::ErrorKind::credentials,
                      "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                      std::string(kCredentialsHint));
  }
  if (!key) {
    return core::fail(core::ErrorKind::credentials,
                      "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
                      std::string(kCredentialsHint));
  }
  return Credentials{*key, *secret, env.get_or("AWS_SESSION_TOKEN", "")};
}

// A profile section's keys; one of the pair alone is an error, as botocore's
// PartialCredentialsError.
MaybeCredentials section_credentials(const IniSection* section, const std::string& profile,
                                     const std::filesystem::path& path) {
  auto key = lookup(section, "aws_access_key_id");
  auto secret = lookup(section, "aws_secret_access_key");
  if (!key && !secret) return std::nullopt;
  if (!key || !secret) {
    return core::fail(core::ErrorKind::credentials,
                      fmt::format("AWS profile '{}' in {} has {} but no {}", profile, path.string(),
                                  key ? "aws_access_key_id" : "aws_secret_access_key",
                                  key ? "aws_secret_access_key" : "aws_access_key_id"),
                      std::string(kCredentialsHint));
  }
  return Credentials{*key, *secret, lookup(section, "aws_session_token").value_or("")};
}

// Profiles that get their keys some other way (SSO, roles, a helper program) are not ours to run.
std::string missing_credentials_hint(const IniSection* config_profile) {
  for (const auto* key : {"sso_session", "sso_start_url", "role_arn", "credential_process"}) {
    if (lookup(config_profile, key)) {
      return fmt::format(
          "the profile uses {}, which gpunb does not run itself; export keys with "
          "`eval \"$(aws configure export-credentials --format env)\"`",
          key);
    }
  }
  return std::string(kCredentialsHint);
}

core::Result<Credentials> resolve_credentials(const Profile& profile, const AwsFiles& files,
                                              const util::Env& env) {
  if (!profile.explicit_flag) {
    auto from_env = env_credentials(env);
    if (!from_env || *from_env) return from_env.map([](auto found) { return *found; });
  }
  const auto* config_profile = find(files.profiles, profile.name);
  for (auto [section, path] :
       {std::pair{find(files.credentials, profile.name), &files.credentials_path},
        std::pair{config_profile, &files.config_path}}) {
    auto found = section_credentials(section, profile.name, *path);
    if (!found || *found) return found.map([](auto value) { return *value; });
  }
  return core::fail(core::ErrorKind::credentials,
                    fmt::format("no AWS credentials found for profile '{}'", profile.name),
                    missing_credentials_hint(config_profile));
}

}  // namespace

namespace {

std::optional<std::string> first_region(const AwsOptions& options, const util::Env& env,
                                        const IniSection* config_profile) {
  if (auto flag = given(options.region)) return flag;
  for (const auto* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto value = env_value(env, variable)) return value;
  }
  if (auto configured = given(options.config_region)) return configured;
  return lookup(config_profile, "region");
}

bool looks_like_region(const std::string& region) {
  static const std::regex pattern(R"(^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$)");
  return std::regex_match(region, pattern);
}

core::Result<std::string> checked_region(const std::optional<std::string>& region) {
  if (!region) {
    return core::fail(
        core::ErrorKind::credentials,
        "no AWS region: pass --region, set AWS_REGION, or add region to your AWS profile");
  }
  if (!looks_like_region(*region)) {
    return core::fail(core::ErrorKind::usage, fmt::format("unknown region '{}'", *region));
  }
  return *region;
}

std::string to_upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The profile's `services = name` points at a [services name] section holding "ec2 =\n endpoint_url
// = ...".
std::optional<std::string> services_endpoint(const std::string& service, const AwsFiles& files,
                                             const IniSection* config_profile) {
  auto name = lookup(config_profile, "services");
  auto entry = name ? lookup(find(files.services, *name), service) : std::nullopt;
  if (!entry) return std::nullopt;
  auto nested = parse_nested(*entry);
  return lookup(&nested, "endpoint_url");
}

bool is_true(const std::optional<std::string>& value) {
  return value && base::to_lower(*value) == "true";
}

// AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's [services] entry, its endpoint_url.
std::optional<std::string> configured_endpoint(const std::string& service, const util::Env& env,
                                               const AwsFiles& files,
                                               const IniSection* config_profile) {
  if (is_true(env_value(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ||
      is_true(lookup(config_profile, "ignore_configured_endpoint_urls"))) {
    return std::nullopt;
  }
  if (auto own = env_value(env, "AWS_ENDPOINT_URL_" + to_upper(service))) return own;
  if (auto global = env_value(env, "AWS_ENDPOINT_URL")) return global;
  if (auto nested = services_endpoint(service, files, config_profile)) return nested;
  return lookup(config_profile, "endpoint_url");
}

std::string without_trailing_slash(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string default_ec2_endpoint(const std::string& region) {
  return fmt::format("https://ec2.{}.amazonaws.com{}", region,
                     region.starts_with("cn-") ? ".cn" : "");
}

std::optional<std::string> resolve_region(const AwsOptions& options, const util::Env& env) {
  auto files = load_files(env);
  return first_region(options, env, find(files.profiles, choose_profile(options, env).name));
}

core::Result<AwsContext> resolve_context(const AwsOptions& options, const util::Env& env) {
  auto files = load_files(env);
  auto profile = choose_profile(options, env);
  const auto* config_profile = find(files.profiles, profile.name);
  if (profile.named && profile.name != "default" && config_profile == nullptr &&
      find(files.credentials, profile.name) == nullptr) {
    return core::fail(
        core::ErrorKind::credentials,
        fmt::format("AWS profile '{}' not found in ~/.aws/credentials or ~/.aws/config",
                    profile.name));
  }
  auto credentials = resolve_credentials(profile, files, env);
  TRY(credentials);
  auto region = checked_region(first_region(options, env, config_profile));
  TRY(region);
  AwsContext context{std::move(*credentials), *region, profile.name, {}, {}};
  context.ec2_endpoint =
      without_trailing_slash(configured_endpoint("ec2", env, files, config_profile)
                                 .value_or(default_ec2_endpoint(*region)));
  context.s3_endpoint =
      without_trailing_slash(configured_endpoint("s3", env, files, config_profile).value_or(""));
  return context;
}

}  // namespace gpunb::aws
