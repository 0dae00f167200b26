// TCP listener (see listener.h).
#include "listener.h"

#include "http_session.h"
#include "log.h"

namespace ferry::server {

void fail(beast::error_code ec, std::string_view what) {
  // Normal ends: shutdown, a peer closing, a timeout on an idle keep-alive connection.
  if (ec == net::error::operation_aborted || ec == websocket::error::closed || ec == net::error::eof ||
      ec == beast::error::timeout || ec == net::ssl::error::stream_truncated || ec == net::error::connection_reset)
    return;
  log_event("io_error", {{"op", std::string(what)}, {"error", ec.message()}});
}

Listener::Listener(net::io_context& ioc, ssl::context* tls, tcp::endpoint endpoint, std::shared_ptr<SharedState> state,
                   beast::error_code& ec)
    : ioc_(ioc), tls_(tls), acceptor_(net::make_strand(ioc)), state_(std::move(state)) {
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return;
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return;
  acceptor_.bind(endpoint, ec);
  if (ec) return;
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
}

tcp::endpoint Listener::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
  });
}

void Listener::do_accept() {
  // With one I/O thread (the default) every handler runs on it, so a connection needs no strand:
  // a strand costs a lock and a queue on each of its handlers. With --threads > 1 each gets one.
  net::any_io_executor ex = ioc_.get_executor();
  if (state_->config().threads > 1) ex = net::make_strand(ioc_);
  acceptor_.async_accept(ex, beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted) return;  // stopped
  if (ec) {
    fail(ec, "accept");  // e.g. out of file descriptors: keep accepting
  } else {
    serve(std::move(socket));
  }
  if (acceptor_.is_open()) do_accept();
}

void Listener::serve(tcp::socket socket) {
  // Signalling is small request/response messages: Nagle's algorithm would only add delay.
  // A failure here costs latency only, so it is ignored.
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (tls_) {
    std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *tls_), state_)->run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), state_)->run();
  }
}

}  // namespace ferry::server
