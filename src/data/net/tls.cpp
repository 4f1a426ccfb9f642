#include "data/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

namespace gpunb::data {
namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "TLS protocol error";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

// The failure of a handshake that did not finish: the certificate check's verdict when it failed.
Error handshake_failure(SSL* ssl, int error, const std::string& host) {
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return {ErrorKind::refused, "TLS: the certificate of " + host +
                                    " is not trusted: " + X509_verify_cert_error_string(verify)};
  }
  if (error == SSL_ERROR_SSL)
    return {ErrorKind::refused, "TLS with " + host + ": " + openssl_error()};
  ERR_clear_error();
  return {ErrorKind::network,
          "TLS with " + host + ": the connection was closed during the handshake"};
}

// The peer closed the TCP connection without close_notify (OpenSSL 3 says so with a reason; 1.1
// as a syscall error with errno 0): a clean end cannot be told from a cut.
bool unexpected_eof(int code) {
  if (code == SSL_ERROR_SYSCALL) return ERR_peek_error() == 0 && errno == 0;
  if (code != SSL_ERROR_SSL) return false;
  return ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

}  // namespace

std::string find_ca_bundle(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("SSL_CERT_FILE"); env != nullptr && *env != '\0') return env;
  for (const char* path : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                           "/etc/ssl/cert.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
                           "/etc/ssl/ca-bundle.pem"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  return {};
}

Result<std::shared_ptr<TlsContext>> TlsContext::make(const std::string& ca_file) {
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
  std::string bundle = find_ca_bundle(ca_file);
  if (bundle.empty()) {
    return fail(ErrorKind::refused, "no CA bundle found for TLS (set SSL_CERT_FILE to one)");
  }
  auto context = std::make_shared<TlsContext>();
  context->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = context->ctx_.get();
  if (ctx == nullptr) return fail(ErrorKind::internal, "TLS: " + openssl_error());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_load_verify_locations(ctx, bundle.c_str(), nullptr) != 1) {
    return fail(ErrorKind::refused,
                "TLS: cannot load the CA bundle " + bundle + ": " + openssl_error());
  }
  return context;
}

Result<TlsStream> TlsStream::handshake(const TlsContext& context, int fd, const std::string& host,
                                       SteadyClock::time_point deadline) {
  TlsStream stream;
  stream.fd_ = fd;
  stream.ssl_.reset(SSL_new(context.get()));
  SSL* ssl = stream.ssl_.get();
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) return fail(ErrorKind::internal, openssl_error());
  bool literal = IpAddress::parse(host).has_value();
  if (literal) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  }
  for (;;) {
    ERR_clear_error();
    int result = SSL_connect(ssl);
    if (result == 1) return stream;
    int error = SSL_get_error(ssl, result);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      return tl::unexpected(handshake_failure(ssl, error, host));
    }
    short events = error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
    if (!wait_fd(fd, events, deadline)) return fail(ErrorKind::timeout, "TLS handshake timed out");
  }
}

bool TlsStream::wait_for(int result, SteadyClock::time_point deadline, Error& error) {
  int code = SSL_get_error(ssl_.get(), result);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    if (wait_fd(fd_, code == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return true;
    error = {ErrorKind::timeout, "timed out: no data"};
    return false;
  }
  error = {ErrorKind::network,
           code == SSL_ERROR_SSL ? "TLS: " + openssl_error() : "connection reset"};
  ERR_clear_error();
  return false;
}

Result<size_t> TlsStream::read(char* data, size_t size, SteadyClock::time_point deadline) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    size_t got = 0;
    int result = SSL_read_ex(ssl_.get(), data, size, &got);
    if (result == 1) return got;
    int code = SSL_get_error(ssl_.get(), result);
    if (code == SSL_ERROR_ZERO_RETURN) return size_t{0};  // close_notify: a clean end
    if (unexpected_eof(code)) {
      ERR_clear_error();
      truncated_ = true;
      return size_t{0};
    }
    Error error;
    if (!wait_for(result, deadline, error)) return tl::unexpected(error);
  }
}

Status TlsStream::write(std::string_view data, SteadyClock::time_point deadline) {
  while (!data.empty()) {
    ERR_clear_error();
    size_t sent = 0;
    int result = SSL_write_ex(ssl_.get(), data.data(), data.size(), &sent);
    if (result == 1) {
      data.remove_prefix(sent);
      continue;
    }
    Error error;
    if (!wait_for(result, deadline, error)) return tl::unexpected(error);
  }
  return {};
}

}  // namespace gpunb::data
