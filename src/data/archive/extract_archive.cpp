#include "data/archive/extract_archive.hpp"

#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace gpunb::data {
namespace {

constexpr size_t kReadBlock = 1 << 20;

}  // namespace

struct ArchiveReader::Stream {
  const ReadFn* read = nullptr;
  std::vector<char> buffer = std::vector<char>(kReadBlock);
  std::optional<Error> failed;

  static la_ssize_t pull(archive* handle, void* self, const void** block) {
    auto* stream = static_cast<Stream*>(self);
    auto got = (*stream->read)(stream->buffer.data(), stream->buffer.size());
    if (!got) {
      stream->failed = got.error();
      archive_set_error(handle, EIO, "%s", got.error().message.c_str());
      return -1;
    }
    *block = stream->buffer.data();
    return static_cast<la_ssize_t>(*got);
  }
};

ArchiveReader::ArchiveReader() : handle_(archive_read_new()) {
  archive* a = handle_.get();
  archive_read_support_format_zip(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_zstd(a);
}

ArchiveReader::ArchiveReader(ArchiveReader&&) noexcept = default;
ArchiveReader& ArchiveReader::operator=(ArchiveReader&&) noexcept = default;
ArchiveReader::~ArchiveReader() = default;

Result<ArchiveReader> ArchiveReader::open_file(const std::filesystem::path& path) {
  ArchiveReader reader;
  if (!reader.handle_) return fail(ErrorKind::internal, "out of memory");
  if (archive_read_open_filename(reader.handle_.get(), path.c_str(), kReadBlock) != ARCHIVE_OK) {
    int error = archive_errno(reader.handle_.get());
    if (error == ENOENT) return fail(ErrorKind::not_found, path.string() + " does not exist");
    if (error == EACCES || error == EISDIR) {
      return fail(ErrorKind::internal,
                  "cannot open " + path.string() + ": " + std::strerror(error));
    }
    return tl::unexpected(reader.failure(path.string()));
  }
  return reader;
}

Result<ArchiveReader> ArchiveReader::open_stream(const ReadFn& read) {
  ArchiveReader reader;
  if (!reader.handle_) return fail(ErrorKind::internal, "out of memory");
  reader.stream_ = std::make_unique<Stream>();
  reader.stream_->read = &read;
  if (archive_read_open(reader.handle_.get(), reader.stream_.get(), nullptr, &Stream::pull,
                        nullptr) != ARCHIVE_OK) {
    return tl::unexpected(reader.failure("the archive stream"));
  }
  return reader;
}

Result<archive_entry*> ArchiveReader::next() {
  archive_entry* entry = nullptr;
  int status = archive_read_next_header(handle_.get(), &entry);
  if (status == ARCHIVE_EOF) return nullptr;
  if (status < ARCHIVE_WARN) return tl::unexpected(failure("the archive"));
  return entry;
}

Result<DataBlock> ArchiveReader::data() {
  const void* bytes = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  int status = archive_read_data_block(handle_.get(), &bytes, &size, &offset);
  if (status == ARCHIVE_EOF) return DataBlock{nullptr, 0, 0, true};
  if (status < ARCHIVE_WARN) return tl::unexpected(failure("the archive"));
  return DataBlock{static_cast<const char*>(bytes), size, offset};
}

std::uint64_t ArchiveReader::packed_bytes() const {
  la_int64_t bytes = archive_filter_bytes(handle_.get(), -1);
  return bytes > 0 ? static_cast<std::uint64_t>(bytes) : 0;
}

Error ArchiveReader::failure(const std::string& what) const {
  if (stream_ && stream_->failed) return *stream_->failed;
  const char* text = archive_error_string(handle_.get());
  return {ErrorKind::internal,
          "cannot read " + what + ": " + (text ? text : "unknown libarchive error")};
}

}  // namespace gpunb::data
