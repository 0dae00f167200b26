// HTTP session: static files and the WebSocket upgrade (see http_session.h).
#include "http_session.h"

#include <filesystem>

#include "access_policy.h"
#include "client_address.h"
#include "jwt_auth.h"
#include "log.h"
#include "static_files.h"
#include "websocket_session.h"

namespace ferry::server {
namespace {

// GET requests carry no body; anything larger is hostile.
constexpr std::uint64_t kMaxRequestBody = 8 * 1024;
// Header bytes per request: browsers send a few KiB of cookies and hints at most.
constexpr std::uint32_t kMaxRequestHeader = 16 * 1024;
// Time to read one request (and to finish the TLS handshake): slow-loris protection.
constexpr auto kRequestTimeout = std::chrono::seconds(30);

bool wants_subprotocol(beast::string_view header) {
  // "Sec-WebSocket-Protocol: a, ferry.v1"
  for (std::string_view item : split_header_list(std::string_view(header.data(), header.size()))) {
    if (item == protocol::kSignalSubprotocol) return true;
  }
  return false;
}

// Every instance of a header, joined as one list (RFC 9110 5.3): a proxy may append its own
// X-Forwarded-For line after the client's.
std::string joined_header(const http::request<http::string_body>& req, beast::string_view name) {
  std::string out;
  for (auto [it, end] = req.equal_range(name); it != end; ++it) {
    if (!out.empty()) out += ", ";
    out.append(it->value().data(), it->value().size());
  }
  return out;
}

template <class Body>
void common_headers(http::response<Body>& res, const http::request<http::string_body>& req, bool tls, bool hsts) {
  res.set(http::field::server, "ferry-server");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  auto host = req[http::field::host];
  res.set("Content-Security-Policy", content_security_policy(std::string_view(host.data(), host.size())));
  if (tls && hsts) res.set("Strict-Transport-Security", "max-age=31536000");
  res.keep_alive(req.keep_alive());
}

http::response<http::string_body> text_response(const http::request<http::string_body>& req, http::status status,
                                                std::string body, std::string_view type) {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  res.set(http::field::cache_control, "no-store");
  res.body() = req.method() == http::verb::head ? std::string() : std::move(body);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.content_length(body.size());
  return res;
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(Stream&& stream, std::shared_ptr<SharedState> state)
    : stream_(std::move(stream)), state_(std::move(state)) {
  beast::error_code ec;
  auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  ip_ = ec ? "unknown" : ep.address().to_string();
}

template <class Stream>
void HttpSession<Stream>::run() {
  net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(self->stream_).expires_after(kRequestTimeout);
      self->stream_.async_handshake(ssl::stream_base::server,
                                    beast::bind_front_handler(&HttpSession::on_handshake, self));
    } else {
      self->do_read();
    }
  });
}

template <class Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) return fail(ec, "tls_handshake");
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  parser_.emplace();
  parser_->body_limit(kMaxRequestBody);
  parser_->header_limit(kMaxRequestHeader);
  beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <class Stream>
template <class Body>
void HttpSession<Stream>::send(http::response<Body>&& res) {
  auto sp = std::make_shared<http::response<Body>>(std::move(res));
  bool close = sp->need_eof();
  http::async_write(stream_, *sp,
                    [self = this->shared_from_this(), sp, close](beast::error_code ec, std::size_t n) {
                      self->on_write(close, ec, n);
                    });
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return do_close();
  if (ec) return fail(ec, "http_read");
  auto& req = parser_->get();
  const bool tls = std::is_same_v<Stream, TlsStream>;
  const Config& config = state_->config();
  state_->metrics().http_requests++;
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  auto client = client_address(ip_, config.trust_proxy, joined_header(req, "Forwarded"),
                               joined_header(req, "X-Forwarded-For"));
  auto forbidden = [&](std::string_view reason) {
    state_->metrics().refuse(std::string(reason));
    auto res = text_response(req, http::status::forbidden, "forbidden\n", "text/plain");
    common_headers(res, req, tls, config.hsts);
    res.keep_alive(false);
    return send(std::move(res));
  };

  if (path == "/ws") {
    std::optional<std::string_view> origin;
    if (auto it = req.find(http::field::origin); it != req.end()) {
      origin = std::string_view(it->value().data(), it->value().size());
    }
    auto host = req[http::field::host];
    if (!origin_allowed(origin, std::string_view(host.data(), host.size()), config.allowed_origins)) {
      log_event("refused", {{"reason", "origin"}, {"ip", client ? limit_key(*client) : std::string("unknown")}});
      return forbidden("origin");
    }
    if (state_->draining()) {  // SIGTERM with --drain-grace: new sessions belong on another instance
      state_->metrics().refuse("draining");
      auto res = text_response(req, http::status::service_unavailable, "draining\n", "text/plain");
      res.set(http::field::retry_after, "1");
      common_headers(res, req, tls, config.hsts);
      res.keep_alive(false);
      return send(std::move(res));
    }
    if (!websocket::is_upgrade(req)) {
      auto res = text_response(req, http::status::upgrade_required, "WebSocket only\n", "text/plain");
      res.set(http::field::upgrade, "websocket");
      common_headers(res, req, tls, config.hsts);
      return send(std::move(res));
    }
    if (!wants_subprotocol(req[http::field::sec_websocket_protocol])) {
      state_->metrics().refuse("bad_subprotocol");
      auto res = text_response(req, http::status::bad_request, "subprotocol ferry.v1 required\n", "text/plain");
      common_headers(res, req, tls, config.hsts);
      res.keep_alive(false);
      return send(std::move(res));
    }
    beast::get_lowest_layer(stream_).expires_never();
    std::string key = client ? limit_key(*client) : "unknown";
    // Taken now, checked once the WebSocket is open (only a close frame can name the refusal).
    std::string jwt = config.jwt_key.empty() ? std::string()
                                             : jwt_from_request(joined_header(req, "Sec-WebSocket-Protocol"), target);
    std::make_shared<WebSocketSession<Stream>>(std::move(stream_), state_, std::move(key), std::move(jwt))
        ->run(parser_->release());
    return;
  }

  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    auto res = text_response(req, http::status::method_not_allowed, "method not allowed\n", "text/plain");
    res.set(http::field::allow, "GET, HEAD");
    common_headers(res, req, tls, config.hsts);
    return send(std::move(res));
  }
  if (path == "/healthz") {
    auto res = text_response(req, http::status::ok, "ok\n", "text/plain; charset=utf-8");
    common_headers(res, req, tls, config.hsts);
    return send(std::move(res));
  }
  // Readiness, for a load balancer: 503 while draining or without the page to serve. /healthz
  // (liveness) stays 200 while the process serves at all.
  if (path == "/readyz") {
    std::string why = state_->not_ready_reason();
    auto res = why.empty() ? text_response(req, http::status::ok, "ready\n", "text/plain; charset=utf-8")
                           : text_response(req, http::status::service_unavailable, why + "\n", "text/plain; charset=utf-8");
    common_headers(res, req, tls, config.hsts);
    return send(std::move(res));
  }
  if (path == "/metrics") {
    auto auth = req[http::field::authorization];
    if (!metrics_allowed(client, std::string_view(auth.data(), auth.size()), config.metrics_token)) {
      return forbidden("metrics");
    }
    auto res = text_response(req, http::status::ok, state_->metrics_text(), "text/plain; version=0.0.4");
    common_headers(res, req, tls, config.hsts);
    return send(std::move(res));
  }

  if (config.signal_only) {  // the client is hosted on another origin: no page, no code served here
    auto res = text_response(req, http::status::not_found, "not found\n", "text/plain");
    common_headers(res, req, tls, config.hsts);
    return send(std::move(res));
  }
  auto rel = resolve_target(target);
  if (!rel) {
    state_->metrics().refuse("bad_path");
    auto res = text_response(req, http::status::bad_request, "bad path\n", "text/plain");
    common_headers(res, req, tls, config.hsts);
    return send(std::move(res));
  }
  namespace fs = std::filesystem;
  std::error_code fec;
  fs::path root = fs::weakly_canonical(config.web_root, fec);
  fs::path file = root / *rel;
  // Symbolic links must not lead out of the web root either.
  fs::path real = fs::weakly_canonical(file, fec);
  std::string root_s = root.string(), real_s = real.string();
  bool inside = !fec && real_s.size() > root_s.size() && real_s.compare(0, root_s.size(), root_s) == 0 &&
                real_s[root_s.size()] == '/';
  if (!inside || !fs::is_regular_file(real, fec)) {
    if (*rel == "index.html") {
      auto res = text_response(req, http::status::ok, std::string(placeholder_page()), "text/html; charset=utf-8");
      common_headers(res, req, tls, config.hsts);
      return send(std::move(res));
    }
    auto res = text_response(req, http::status::not_found, "not found\n", "text/plain");
    common_headers(res, req, tls, config.hsts);
    return send(std::move(res));
  }

  // The precompressed copy (dist/ has name.br and name.gz beside text and wasm) the client
  // accepts, best first; the file itself otherwise.
  ContentCoding coding = ContentCoding::kIdentity;
  fs::path body_path = real;
  auto ae = req[http::field::accept_encoding];
  for (ContentCoding c : preferred_codings(std::string_view(ae.data(), ae.size()))) {
    fs::path candidate = real;
    candidate += std::string(coding_suffix(c));
    if (c == ContentCoding::kIdentity || fs::is_regular_file(candidate, fec)) {
      coding = c;
      body_path = candidate;
      break;
    }
  }
  auto size = fs::file_size(body_path, fec);
  auto mtime = fs::last_write_time(body_path, fec).time_since_epoch();
  std::string etag =
      make_etag(size, std::chrono::duration_cast<std::chrono::nanoseconds>(mtime).count(), coding);
  auto inm = req[http::field::if_none_match];
  std::string_view type = mime_type(*rel);
  std::string_view cache = cache_control(*rel);
  auto headers = [&](auto& res) {
    res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
    res.set(http::field::cache_control, beast::string_view(cache.data(), cache.size()));
    res.set(http::field::etag, etag);
    res.set(http::field::vary, "Accept-Encoding");
    if (std::string_view name = coding_name(coding); !name.empty()) {
      res.set(http::field::content_encoding, beast::string_view(name.data(), name.size()));
    }
    common_headers(res, req, tls, config.hsts);
  };
  if (!inm.empty() && etag_matches(std::string_view(inm.data(), inm.size()), etag)) {
    http::response<http::empty_body> res{http::status::not_modified, req.version()};
    headers(res);
    return send(std::move(res));
  }
  http::file_body::value_type body;
  body.open(body_path.c_str(), beast::file_mode::scan, ec);
  if (ec) {
    auto res = text_response(req, http::status::not_found, "not found\n", "text/plain");
    common_headers(res, req, tls, config.hsts);
    return send(std::move(res));
  }
  if (req.method() == http::verb::head) {
    http::response<http::empty_body> res{http::status::ok, req.version()};
    headers(res);
    res.content_length(body.size());
    return send(std::move(res));
  }
  http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                      std::make_tuple(http::status::ok, req.version())};
  headers(res);
  res.prepare_payload();
  return send(std::move(res));
}

template <class Stream>
void HttpSession<Stream>::on_write(bool close, beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "http_write");
  if (close) return do_close();
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_close() {
  beast::error_code ec;
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  } else {
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace ferry::server
