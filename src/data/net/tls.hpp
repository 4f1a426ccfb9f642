// TLS for the agent's HTTP client, by OpenSSL: peers always verified (chain and host name) against
// a CA bundle, SNI sent, openssl.cnf never loaded (it could dlopen providers in a static binary).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "data/net/socket.hpp"

namespace gpunb::data {

// CONFIGURED when set, else $SSL_CERT_FILE, else the first bundle found at the usual paths of
// Debian/Ubuntu, RHEL/Amazon Linux, Alpine and macOS; empty when there is none.
std::string find_ca_bundle(const std::string& configured);

class TlsContext {
 public:
  // Kind "refused" when no bundle is found or it cannot be loaded.
  static Result<std::shared_ptr<TlsContext>> make(const std::string& ca_file);
  SSL_CTX* get() const { return ctx_.get(); }

 private:
  struct Free {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  };
  std::unique_ptr<SSL_CTX, Free> ctx_;
};

// One TLS session over a connected nonblocking socket (which the caller keeps open).
class TlsStream {
 public:
  // Kind "refused" for a certificate or protocol failure, "network" for a cut or a timeout.
  static Result<TlsStream> handshake(const TlsContext& context, int fd, const std::string& host,
                                     SteadyClock::time_point deadline);
  // Bytes read (0: the peer closed), waiting until DEADLINE for the first.
  Result<size_t> read(char* data, size_t size, SteadyClock::time_point deadline);
  Status write(std::string_view data, SteadyClock::time_point deadline);
  bool pending() const { return SSL_pending(ssl_.get()) > 0; }
  // The peer closed without TLS's close_notify (a read returned 0 for that): what was read may
  // be cut short, which only a framed body (a length, chunks) can rule out.
  bool truncated() const { return truncated_; }

 private:
  struct Free {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  // Waits for what the last call on SSL_ asked (RESULT); false: a failure left in ERROR.
  bool wait_for(int result, SteadyClock::time_point deadline, Error& error);
  std::unique_ptr<SSL, Free> ssl_;
  int fd_ = -1;
  bool truncated_ = false;
};

}  // namespace gpunb::data
