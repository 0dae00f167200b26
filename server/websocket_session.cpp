// WebSocket signalling session (see websocket_session.h).
#include "websocket_session.h"

#include <algorithm>

#include "log.h"

namespace ferry::server {
namespace {

// Frames above this are refused by Beast itself with close code 1009; below it, frames above
// --max-message are refused by SharedState with 4001 (so the name is ours).
constexpr std::size_t kHardFrameFactor = 4;
// Messages waiting for a slow reader. A peer that does not read is dropped rather than allowed
// to grow the server's memory: 256 x 64 KiB = 16 MiB at worst.
constexpr std::size_t kMaxQueuedMessages = 256;
// Time for the WebSocket handshake and for the closing handshake.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

}  // namespace

template <class Stream>
WebSocketSession<Stream>::WebSocketSession(Stream&& stream, std::shared_ptr<SharedState> state, std::string ip)
    : ws_(std::move(stream)), state_(std::move(state)), ip_(std::move(ip)) {}

template <class Stream>
WebSocketSession<Stream>::~WebSocketSession() {
  if (id_) state_->detach(id_);
}

template <class Stream>
void WebSocketSession<Stream>::run(http::request<http::string_body> req) {
  beast::get_lowest_layer(ws_).expires_never();  // the websocket timeout takes over
  websocket::stream_base::timeout t{};
  t.handshake_timeout = kHandshakeTimeout;
  t.idle_timeout = std::chrono::seconds(state_->config().idle_timeout_s);
  t.keep_alive_pings = true;  // a ping at half the idle time; no pong by the end closes
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "ferry-server");
    res.set(http::field::sec_websocket_protocol, "ferry.v1");
  }));
  ws_.read_message_max(state_->config().max_message * kHardFrameFactor);
  ws_.async_accept(req, beast::bind_front_handler(&WebSocketSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WebSocketSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) return fail(ec, "ws_accept");
  CloseCode refusal{};
  auto id = state_->attach(this->weak_from_this(), ip_, &refusal);
  if (!id) return do_close(refusal);
  id_ = *id;
  do_read();
}

template <class Stream>
void WebSocketSession<Stream>::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WebSocketSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WebSocketSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec == websocket::error::message_too_big) state_->metrics().refuse("message_too_big");
    return fail(ec, "ws_read");
  }
  if (closing_) return;
  if (ws_.got_text()) {
    auto data = buffer_.cdata();
    state_->on_text(id_, std::string_view(static_cast<const char*>(data.data()), data.size()));
  } else {
    state_->on_binary(id_);
  }
  buffer_.consume(buffer_.size());
  do_read();
}

template <class Stream>
void WebSocketSession<Stream>::send(std::shared_ptr<const std::string> text) {
  net::post(ws_.get_executor(),
            beast::bind_front_handler(&WebSocketSession::on_send, this->shared_from_this(), std::move(text)));
}

template <class Stream>
void WebSocketSession<Stream>::on_send(std::shared_ptr<const std::string> text) {
  if (closing_) return;
  if (queue_.size() >= kMaxQueuedMessages) {
    log_event("slow_reader", {{"peer", std::to_string(id_)}});
    return do_close(CloseCode::kMessageRate);
  }
  queue_.push_back(std::move(text));
  if (queue_.size() > 1) return;  // a write is in flight
  do_write();
}

template <class Stream>
void WebSocketSession<Stream>::do_write() {
  ws_.text(true);
  ws_.async_write(net::buffer(*queue_.front()),
                  beast::bind_front_handler(&WebSocketSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WebSocketSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "ws_write");
  queue_.pop_front();
  if (!queue_.empty() && !closing_) do_write();
}

template <class Stream>
void WebSocketSession<Stream>::close(CloseCode code) {
  net::post(ws_.get_executor(), beast::bind_front_handler(&WebSocketSession::do_close, this->shared_from_this(), code));
}

template <class Stream>
void WebSocketSession<Stream>::do_close(CloseCode code) {
  if (closing_) return;
  closing_ = true;
  auto reason = close_reason(code);
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), beast::string_view(reason.data(), reason.size())),
                  beast::bind_front_handler(&WebSocketSession::on_close, this->shared_from_this()));
}

template <class Stream>
void WebSocketSession<Stream>::on_close(beast::error_code ec) {
  if (ec) fail(ec, "ws_close");
}

template class WebSocketSession<PlainStream>;
template class WebSocketSession<TlsStream>;

}  // namespace ferry::server
