#include <fmt/format.h>

#include <memory>

#include "app/fetch.hpp"
#include "base/text.hpp"
#include "cli/commands.hpp"
#include "sync/report.hpp"

namespace gpunb::cli {
namespace {

using Json = nlohmann::json;

struct FetchOptions {
  std::vector<std::string> args;  // NAME SOURCE, or SOURCE with --local, or NAME with --status
  app::FetchRequest request;
  bool local = false, status = false, json = false, unzip = false;
};

core::Fatal usage(const std::string& message, const std::string& hint) {
  return core::Fatal({core::ErrorKind::usage, message, hint});
}

std::string summary(const Json& status) {
  auto text = fmt::format("fetched {} into {}: {} file{}, {}", status.value("source", ""),
                          status.value("dir", ""), status.value("files", 0),
                          status.value("files", 0) == 1 ? "" : "s",
                          sync::human_bytes(status.value("bytes", std::uint64_t{0})));
  const auto& extracted = status.value("extracted", Json::object());
  if (extracted.value("entries", 0) > 0) {
    text += fmt::format(", unpacked {} entries ({})", extracted.value("entries", 0),
                        sync::human_bytes(extracted.value("bytes", std::uint64_t{0})));
  }
  return text;
}

std::string status_line(const Json& job) {
  auto line = fmt::format("{}  {:<7} {}  -> {}", job.value("id", ""), job.value("state", ""),
                          job.value("source", ""), job.value("dir", ""));
  if (job.value("state", "") == "running") return line + "  " + app::fetch_progress_text(job);
  if (job.contains("error")) return line + "  " + job["error"].value("message", "");
  return line + "  " + sync::human_bytes(job.value("bytes", std::uint64_t{0}));
}

int show_status(app::Context& context, const FetchOptions& options) {
  if (options.args.size() != 1)
    throw usage("--status takes the machine's name only", "gpunb fetch NAME --status");
  auto jobs = app::fetch_status(context, options.args[0]);
  if (options.json) {
    fmt::print(context.output().out, "{}\n", jobs.dump(2));
  } else if (jobs["jobs"].empty()) {
    fmt::print(context.output().out, "no fetches on {}\n", options.args[0]);
  } else {
    for (const auto& job : jobs["jobs"])
      fmt::print(context.output().out, "{}\n", base::printable(status_line(job)));
  }
  return 0;
}

void check(const FetchOptions& options) {
  const auto& sha = options.request.sha256;
  if (sha &&
      (sha->size() != 64 || sha->find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
    throw usage("--sha256 takes 64 hex digits", "e.g. the output of `sha256sum FILE`");
  const auto& format = options.request.format;
  if (format && (format->empty() || format->size() > 8 ||
                 format->find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos))
    throw usage("--format takes an export format such as docx, xlsx, pptx, pdf, csv", "");
  if (format && !options.args.empty() && options.args.back().starts_with("s3://"))
    throw usage("--format is for Google Docs, Sheets and Slides links only", "");
  if (options.request.connections < 1 || options.request.connections > 64)
    throw usage("--connections takes 1 to 64", "");
  if (options.args.size() != (options.local ? 1u : 2u)) {
    throw usage(options.local ? "--local takes a SOURCE only" : "fetch takes NAME and SOURCE",
                "gpunb fetch NAME SOURCE [--to DIR], or gpunb fetch --local SOURCE");
  }
}

int run_fetch(app::Context& context, FetchOptions options) {
  if (options.status) return show_status(context, options);
  check(options);
  options.request.extract = options.request.extract || options.unzip;
  options.request.source = options.args.back();
  auto report = options.local ? app::fetch_local(context, options.request)
                              : app::fetch_remote(context, options.args[0], options.request);
  if (options.json) fmt::print(context.output().out, "{}\n", report.status.dump(2));
  app::throw_if_failed(report.status);
  if (options.json) return 0;
  if (!report.finished()) {
    fmt::print(context.output().out,
               "fetch {} started on {}: `gpunb fetch {} --status` follows it\n",
               report.status.value("id", ""), options.args[0], options.args[0]);
  } else {
    fmt::print(context.output().out, "{}\n", base::printable(summary(report.status)));
    for (const auto& note : report.status.value("notes", std::vector<std::string>{}))
      fmt::print(context.output().out, "note: {}\n", base::printable(note));
  }
  return 0;
}

}  // namespace

void add_fetch(CLI::App& app, CommandTable& table) {
  auto options = std::make_shared<FetchOptions>();
  auto* command = table.add(
      app, "fetch", "Download data onto the machine (S3, Google Drive, HTTP), optionally unpacked",
      [=](app::Context& context) { return run_fetch(context, *options); });
  command->add_option(
      "NAME SOURCE", options->args,
      "Machine name and source: s3://bucket/key, s3://bucket/prefix/, a Google Drive "
      "share link or file ID, a Google Docs/Sheets/Slides link, or an http(s):// URL");
  auto& r = options->request;
  command->add_option("--to", r.to, "Folder, relative to the workspace (default: data)");
  command->add_flag("--extract,-x", r.extract, "Unpack .zip/.tar[.gz|.bz2|.xz|.zst] archives");
  command->add_flag("--unzip", options->unzip, "The same as --extract");
  command->add_option("--sha256", r.sha256, "Expected SHA-256 of the file");
  command->add_option("--format", r.format,
                      "Google Docs/Sheets/Slides: export as docx|odt|pdf|txt|md|..., "
                      "xlsx|ods|csv|tsv|pdf, pptx|odp|pdf|txt|png (default docx, xlsx, pptx)");
  command->add_option("--connections", r.connections, "Connections for one large file (default 8)");
  command->add_flag("--no-sign-request", r.no_sign_request, "S3: a public bucket, no credentials");
  command->add_flag("--detach", r.detach, "Start the fetch on the machine and return");
  command->add_flag("--local", options->local, "Download onto this computer instead");
  command->add_flag("--status", options->status, "Show the machine's fetches");
  command->add_option("--max-extract-size", r.max_extract_size,
                      "Refuse archives unpacking to more bytes");
  command->add_option("--max-extract-entries", r.max_extract_entries,
                      "Refuse archives with more entries");
  command->add_option("--max-extract-ratio", r.max_extract_ratio,
                      "Refuse archives unpacking more than this many times their size");
  command->add_flag("--json", options->json, "The final status as JSON");
}

}  // namespace gpunb::cli
