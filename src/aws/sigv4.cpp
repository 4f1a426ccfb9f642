#include "aws/sigv4.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <vector>

#include "aws/url.hpp"
#include "base/hash.hpp"
#include "base/strings.hpp"

namespace gpunb::aws {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// Removes "." and ".." segments and empty segments, as botocore does for non-S3 services.
std::string normalize_path(const std::string& path) {
  std::vector<std::string> kept;
  for (const auto& segment : base::split(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  std::string out = "/" + base::join(kept, "/");
  if (out.size() > 1 && path.size() > 1 && path.back() == '/') out += '/';
  return out;
}

std::string canonical_uri(const std::string& raw_path, bool s3) {
  return s3 ? raw_path : base::uri_encode(normalize_path(raw_path), true);
}

std::string canonical_query(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (query.empty()) return {};
  for (const auto& item : base::split(query, '&')) {
    if (item.empty()) continue;
    auto equals = item.find('=');
    auto key = item.substr(0, equals);
    auto value = equals == std::string::npos ? std::string() : item.substr(equals + 1);
    pairs.emplace_back(base::uri_encode(base::uri_decode(key, false)),
                       base::uri_encode(base::uri_decode(value, false)));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += '&';
    out += key + '=' + value;
  }
  return out;
}

// Trims and folds every run of whitespace (tabs and line breaks too) into one space, as botocore
// does with `' '.join(value.split())`.
std::string collapse_spaces(std::string_view value) {
  constexpr std::string_view kSpace = " \t\n\r\v\f\x1c\x1d\x1e\x1f";
  std::string out;
  bool pending = false;
  for (char c : value) {
    if (kSpace.find(c) != std::string_view::npos) {
      pending = !out.empty();
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += c;
  }
  return out;
}

// Lower-cased name → values in order, joined by ',' (an empty value still takes its place).
std::map<std::string, std::string> canonical_header_map(const net::Headers& headers) {
  std::map<std::string, std::vector<std::string>> values;
  for (const auto& [name, value] : headers)
    values[base::to_lower(name)].push_back(collapse_spaces(value));
  std::map<std::string, std::string> merged;
  for (const auto& [name, list] : values) merged[name] = base::join(list, ",");
  return merged;
}

std::string signed_header_names(const std::map<std::string, std::string>& headers) {
  std::vector<std::string> names;
  names.reserve(headers.size());
  for (const auto& entry : headers) names.push_back(entry.first);
  return base::join(names, ";");
}

std::string signing_key(const std::string& secret, const std::string& date,
                        const SigningScope& scope) {
  auto key = base::hmac_sha256("AWS4" + secret, date);
  key = base::hmac_sha256(key, scope.region);
  key = base::hmac_sha256(key, scope.service);
  return base::hmac_sha256(key, "aws4_request");
}

void set_header(net::Headers& headers, const std::string& name, const std::string& value) {
  auto lower = base::to_lower(name);
  std::erase_if(headers, [&](const auto& header) { return base::to_lower(header.first) == lower; });
  headers.emplace_back(name, value);
}

std::string credential_scope(const std::string& date, const SigningScope& scope) {
  return fmt::format("{}/{}/{}/aws4_request", date, scope.region, scope.service);
}

std::string signature(const std::string& canonical, const std::string& amz,
                      const Credentials& credentials, const SigningScope& scope) {
  auto date = amz.substr(0, 8);
  auto to_sign = detail::string_to_sign(amz, credential_scope(date, scope), canonical);
  return base::hex(
      base::hmac_sha256(signing_key(credentials.secret_access_key, date, scope), to_sign));
}

}  // namespace

namespace detail {

std::string amz_date(std::chrono::system_clock::time_point now) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string canonical_request(const net::HttpRequest& request, std::string_view signed_headers,
                              std::string_view payload_hash, bool s3) {
  auto url = split_url(request.url);
  auto headers = canonical_header_map(request.headers);
  std::string header_block;
  for (const auto& name : base::split(signed_headers, ';'))
    header_block += name + ':' + headers[name] + '\n';
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, canonical_uri(url.path, s3),
                     canonical_query(url.query), header_block, signed_headers, payload_hash);
}

std::string string_to_sign(std::string_view amz_date, std::string_view credential_scope,
                           std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date, credential_scope,
                     base::hex(base::sha256(canonical_request)));
}

}  // namespace detail

void sign(net::HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
          std::chrono::system_clock::time_point now, bool sign_payload_header) {
  auto amz = detail::amz_date(now);
  auto payload_hash = base::hex(base::sha256(request.body));
  set_header(request.headers, "Host", split_url(request.url).host);
  set_header(request.headers, "X-Amz-Date", amz);
  if (!credentials.session_token.empty()) {
    set_header(request.headers, "X-Amz-Security-Token", credentials.session_token);
  }
  if (sign_payload_header) set_header(request.headers, "X-Amz-Content-SHA256", payload_hash);
  auto names = signed_header_names(canonical_header_map(request.headers));
  auto canonical = detail::canonical_request(request, names, payload_hash, scope.service == "s3");
  auto scope_text = credential_scope(amz.substr(0, 8), scope);
  set_header(request.headers, "Authorization",
             fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                         credentials.access_key_id, scope_text, names,
                         signature(canonical, amz, credentials, scope)));
}

std::string presign(const std::string& method, const std::string& url,
                    const Credentials& credentials, const SigningScope& scope,
                    std::chrono::system_clock::time_point now, int expires) {
  auto amz = detail::amz_date(now);
  auto parts = split_url(url);
  std::string query = parts.query.empty() ? "" : parts.query + "&";
  query += fmt::format(
      "X-Amz-Algorithm={}&X-Amz-Credential={}&X-Amz-Date={}&X-Amz-Expires={}", kAlgorithm,
      base::uri_encode(credentials.access_key_id + "/" + credential_scope(amz.substr(0, 8), scope)),
      amz, expires);
  if (!credentials.session_token.empty()) {
    query += "&X-Amz-Security-Token=" + base::uri_encode(credentials.session_token);
  }
  query += "&X-Amz-SignedHeaders=host";
  auto base = url.substr(0, url.find('?'));
  net::HttpRequest request{method, base + "?" + query, {{"host", parts.host}}, {}, {}};
  // S3 takes UNSIGNED-PAYLOAD; other services (EC2's Query API) check the hash of the empty body.
  bool s3 = scope.service == "s3";
  auto payload = s3 ? std::string("UNSIGNED-PAYLOAD") : base::hex(base::sha256(std::string()));
  auto canonical = detail::canonical_request(request, "host", payload, s3);
  return request.url + "&X-Amz-Signature=" + signature(canonical, amz, credentials, scope);
}

}  // namespace gpunb::aws
