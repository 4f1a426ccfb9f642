// HttpClient: a pool of kept-alive connections per scheme://host:port (shared by threads), the
// TLS context made on first use, and redirects (never from https to http).
#include "data/net/http.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/expected.hpp"
#include "data/net/http_conn.hpp"
#include "data/net/http_wire.hpp"

namespace gpunb::data {
namespace {

constexpr size_t kMaxIdlePerHost = 16;
constexpr std::uint64_t kMaxDrain = 64 * 1024;  // redirect bodies up to this are read, not cut

std::string pool_key(const Url& url) {
  return url.scheme + "://" + url.host + ":" + std::to_string(url.port);
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void remove_header(Headers& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& pair) {
    return std::equal(pair.first.begin(), pair.first.end(), name.begin(), name.end(),
                      [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  });
}

// The request to send after a redirect to LOCATION: 303 (and 301/302 after a POST) become GETs
// without a body; credentials are not carried to another host.
HttpRequest redirected(const HttpRequest& request, int status, const std::string& location) {
  HttpRequest next = request;
  next.url = request.url.resolve(location);
  bool to_get = status == 303 || ((status == 301 || status == 302) && request.method == "POST");
  if (to_get && request.method != "HEAD") {
    next.method = "GET";
    next.body.clear();
    remove_header(next.headers, "Content-Type");
  }
  if (pool_key(next.url) != pool_key(request.url)) {
    remove_header(next.headers, "Authorization");
    remove_header(next.headers, "Cookie");
  }
  return next;
}

}  // namespace

struct HttpClient::Impl {
  HttpOptions options;
  std::mutex mutex;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::shared_ptr<TlsContext> tls;

  Result<std::unique_ptr<Connection>> connect(const Url& url, Deadline deadline) {
    std::shared_ptr<TlsContext> context;
    if (url.scheme == "https") {
      std::lock_guard lock(mutex);
      if (!tls) {
        auto made = TlsContext::make(options.ca_file);
        TRY(made);
        tls = *made;
      }
      context = tls;
    }
    return Connection::open(url, options, context.get(), deadline);
  }

  std::unique_ptr<Connection> take_idle(const Url& url) {
    std::lock_guard lock(mutex);
    auto& list = idle[pool_key(url)];
    while (!list.empty()) {
      auto connection = std::move(list.back());
      list.pop_back();
      if (connection->reusable()) return connection;
    }
    return nullptr;
  }

  void give_back(const Url& url, std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex);
    auto& list = idle[pool_key(url)];
    if (list.size() < kMaxIdlePerHost) list.push_back(std::move(connection));
  }

  // Sends REQUEST and reads the response's head, all by DEADLINE; a kept-alive connection the
  // server had closed meanwhile is replaced by a new one.
  Result<ResponseHead> exchange(const HttpRequest& request, Deadline deadline,
                                std::unique_ptr<Connection>& out) {
    if (auto reused = take_idle(request.url)) {
      reused->set_deadline(deadline);
      auto head = exchange_on(*reused, request);
      if (head || head.error().kind == ErrorKind::timeout) {
        out = std::move(reused);
        return head;
      }
    }
    auto fresh = connect(request.url, deadline);
    TRY(fresh);
    out = std::move(*fresh);
    return exchange_on(*out, request);
  }

  static Result<ResponseHead> exchange_on(Connection& connection, const HttpRequest& request) {
    TRY(connection.write(format_request(request)));
    return read_head(connection, request.method);
  }

  // A redirect's body: read when small (the connection is then kept), else the connection closed.
  void finish_redirect(const Url& url, std::unique_ptr<Connection> connection,
                       const ResponseHead& head) {
    bool small = head.framing == Framing::kNone ||
                 (head.framing == Framing::kLength && *head.head.content_length <= kMaxDrain);
    if (!small || !head.keep_alive) return;
    auto ignore = [](const char*, size_t) -> Status { return {}; };
    if (read_body(*connection, head, ignore)) give_back(url, std::move(connection));
  }
};

HttpClient::HttpClient(HttpOptions options) : impl_(new Impl) {
  impl_->options = options;
}
HttpClient::HttpClient(HttpClient&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    delete impl_;
    impl_ = std::exchange(other.impl_, nullptr);
  }
  return *this;
}
HttpClient::~HttpClient() {
  delete impl_;
}

const HttpOptions& HttpClient::options() const {
  return impl_->options;
}

Result<HttpHead> HttpClient::send(const HttpRequest& request, const HeadCheck& check,
                                  const BodySink& sink) {
  HttpRequest current = request;
  Deadline deadline;
  if (request.timeout) deadline = SteadyClock::now() + *request.timeout;
  for (int hops = 0;; ++hops) {
    std::unique_ptr<Connection> connection;
    auto head = impl_->exchange(current, deadline, connection);
    TRY(head);
    head->head.url = current.url;
    auto location = header(head->head.headers, "Location");
    if (impl_->options.follow_redirects && is_redirect(head->head.status) && location) {
      if (hops >= impl_->options.max_redirects) {
        return fail(ErrorKind::network, "too many redirects from " + request.url.redacted());
      }
      impl_->finish_redirect(current.url, std::move(connection), *head);
      auto next = redirected(current, head->head.status, *location);
      if (current.url.scheme == "https" && next.url.scheme != "https") {
        return fail(ErrorKind::refused, current.url.redacted() + " redirects to plain http (" +
                                            next.url.redacted() + "): not followed, the download " +
                                            "would travel unencrypted; ask for an https link");
      }
      current = std::move(next);
      continue;
    }
    auto wanted = check ? check(head->head) : Result<bool>(true);
    TRY(wanted);
    if (!*wanted) return head->head;  // the connection is closed, not drained
    TRY(read_body(*connection, *head, sink));
    if (head->keep_alive) impl_->give_back(current.url, std::move(connection));
    return head->head;
  }
}

Result<std::pair<HttpHead, std::string>> HttpClient::get_text(const HttpRequest& request,
                                                              size_t max_bytes) {
  std::string body;
  auto sink = [&](const char* data, size_t size) -> Status {
    if (body.size() + size > max_bytes) {
      return fail(ErrorKind::refused, "the response from " + request.url.redacted() + " is over " +
                                          std::to_string(max_bytes) + " bytes");
    }
    body.append(data, size);
    return {};
  };
  auto head = send(request, nullptr, sink);
  TRY(head);
  return std::pair{std::move(*head), std::move(body)};
}

}  // namespace gpunb::data
