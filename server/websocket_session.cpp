// WebSocket signalling session (see websocket_session.h).
#include "websocket_session.h"

#include <algorithm>
#include <utility>

#include "log.h"
#include "protocol/signal.h"

namespace ferry::server {
namespace {

// Messages above these are refused here, while they are read, with 4001 and a proper closing
// handshake (the rest of the message is read and discarded by it, so the peer gets the close
// frame instead of a reset connection); below them, text above --max-message and binary above
// kMaxRelayFrameBytes are refused by SharedState with 4001 too. Binary gets a smaller factor: its
// limit is already 256 KiB.
constexpr std::size_t kHardTextFactor = 4;
constexpr std::size_t kHardBinaryFactor = 2;
// Bytes waiting for a slow reader (see kQueuedMessageOverhead). A peer that does not read is
// dropped rather than allowed to grow the server's memory: its sender is paused once relayed
// binary frames pass kRelayQueueHighBytes or text passes kTextQueueHighBytes, so this is what
// the two may add up to (plus one message each past the mark and the server's own replies),
// with room to spare.
constexpr std::size_t kMaxQueuedBytes = 8 * 1024 * 1024;
// Time for the WebSocket handshake and for the closing handshake.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

std::size_t queue_cost(const Outgoing& m) { return m.data->size() + kQueuedMessageOverhead; }

}  // namespace

template <class Stream>
WebSocketSession<Stream>::WebSocketSession(Stream&& stream, std::shared_ptr<SharedState> state, std::string ip,
                                           std::string jwt)
    : ws_(std::move(stream)),
      pause_timer_(ws_.get_executor()),
      state_(std::move(state)),
      ip_(std::move(ip)),
      jwt_(std::move(jwt)) {}

template <class Stream>
WebSocketSession<Stream>::~WebSocketSession() {
  release_waiters();  // nobody else holds this session now
  state_->add_queued(-static_cast<int64_t>(queued_bytes_.load()));  // what was never written
  if (id_) state_->detach(id_);
}

template <class Stream>
void WebSocketSession<Stream>::dequeued(const Outgoing& m) {
  std::size_t cost = queue_cost(m);
  queued_bytes_ -= cost;
  if (!m.binary) queued_text_bytes_ -= cost;
  state_->add_queued(-static_cast<int64_t>(cost));
}

template <class Stream>
void WebSocketSession<Stream>::run(http::request<http::string_body> req) {
  const Config& config = state_->config();
  beast::get_lowest_layer(ws_).expires_never();  // the websocket timeout takes over
  timeouts_.handshake_timeout = kHandshakeTimeout;
  timeouts_.idle_timeout = std::chrono::seconds(config.idle_timeout_s);
  timeouts_.keep_alive_pings = true;  // a ping at half the idle time; no pong by the end closes
  ws_.set_option(timeouts_);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "ferry-server");
    res.set(http::field::sec_websocket_protocol, "ferry.v1");
  }));
  hard_limit_ = config.max_message * kHardTextFactor;
  if (config.relay_rate > 0) hard_limit_ = std::max(hard_limit_, protocol::kMaxRelayFrameBytes * kHardBinaryFactor);
  // No limit in Beast: it would fail the connection at the frame header (1009) and reset it while
  // the peer is still sending. do_read bounds every read to hard_limit_ + 1 bytes instead.
  ws_.read_message_max(0);
  // Messages are bounded (256 KiB at most): one frame each, instead of Beast's 4 KiB fragments.
  ws_.auto_fragment(false);
  ws_.async_accept(req, beast::bind_front_handler(&WebSocketSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WebSocketSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) return fail(ec, "ws_accept");
  CloseCode refusal{};
  auto id = state_->attach(this->weak_from_this(), ip_, &refusal);
  if (!id) return do_close(refusal);
  id_ = *id;
  if (!jwt_.empty()) {
    // After admission (its limits refuse first, at no signature's cost), before the first read.
    std::string token = std::exchange(jwt_, std::string());  // not kept (nor logged) past its check
    if (!state_->admit_jwt_check(id_)) return do_close(CloseCode::kJoinsPerIp);
    state_->set_jwt(id_, state_->check_jwt(token));
  }
  do_read();
}

template <class Stream>
void WebSocketSession<Stream>::do_read() {
  if (reading_ != Reading::kActive) {
    ws_.set_option(timeouts_);  // the read re-arms the idle timer
    reading_ = Reading::kActive;
  }
  // A message arrives in one or more reads; none brings the buffer past hard_limit_ + 1.
  std::size_t room = hard_limit_ + 1 - std::min(buffer_.size(), hard_limit_);
  ws_.async_read_some(buffer_, room,
                      beast::bind_front_handler(&WebSocketSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WebSocketSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "ws_read");
  if (closing_) return;
  if (buffer_.size() > hard_limit_) {
    log_event("refused", {{"reason", "message_too_big"}, {"peer", std::to_string(id_)}});
    state_->metrics().refuse(std::string(close_reason(CloseCode::kMessageTooBig)));
    buffer_.clear();
    return do_close(CloseCode::kMessageTooBig);
  }
  if (!ws_.is_message_done()) return do_read();
  auto data = buffer_.cdata();
  std::string_view message(static_cast<const char*>(data.data()), data.size());
  if (ws_.got_text()) {
    auto pause = state_->on_text(id_, message);
    buffer_.consume(buffer_.size());
    return do_pause(std::move(pause));
  }
  auto pause = state_->on_binary(id_, message);
  buffer_.consume(buffer_.size());
  do_pause(std::move(pause));
}

template <class Stream>
void WebSocketSession<Stream>::do_pause(ReadPause pause) {
  if (closing_) return;
  auto receiver = pause.receiver.lock();
  if (pause.wait_ms <= 0 && !receiver) return do_read();
  if (reading_ == Reading::kActive) {
    // Not reading means pongs are not read either: the idle timeout would close a sender that
    // is only waiting. It comes back with the next read; the receiver wait has its own deadline.
    auto t = timeouts_;
    t.idle_timeout = websocket::stream_base::none();
    ws_.set_option(t);
  }
  auto self = this->shared_from_this();
  uint64_t id = ++pause_;
  if (pause.wait_ms > 0) {
    reading_ = Reading::kBudget;
    pause_timer_.expires_after(std::chrono::milliseconds(pause.wait_ms));
    pause_timer_.async_wait(
        beast::bind_front_handler(&WebSocketSession::on_budget, self, id, std::move(pause.receiver), pause.drain));
    return;
  }
  reading_ = Reading::kReceiver;
  receiver->when_drained(pause.drain, [self, id] {
    net::post(self->ws_.get_executor(), beast::bind_front_handler(&WebSocketSession::on_drained, self, id));
  });
  pause_timer_.expires_after(timeouts_.idle_timeout);
  pause_timer_.async_wait(
      beast::bind_front_handler(&WebSocketSession::on_drain_deadline, self, id, std::move(pause.receiver)));
}

template <class Stream>
void WebSocketSession<Stream>::on_budget(uint64_t pause, std::weak_ptr<Peer> receiver, Drain drain,
                                         beast::error_code ec) {
  if (ec || pause != pause_ || reading_ != Reading::kBudget) return;
  do_pause(ReadPause{0, std::move(receiver), drain});
}

template <class Stream>
void WebSocketSession<Stream>::on_drained(uint64_t pause) {
  if (pause != pause_ || reading_ != Reading::kReceiver) return;
  pause_timer_.cancel();
  do_pause(ReadPause{});
}

template <class Stream>
void WebSocketSession<Stream>::on_drain_deadline(uint64_t pause, std::weak_ptr<Peer> receiver, beast::error_code ec) {
  if (ec || pause != pause_ || reading_ != Reading::kReceiver) return;
  // The receiver took a whole idle timeout to read a few MiB: treat it as not reading. Its close
  // releases this sender (when_drained), whose frames are then dropped until it rejoins.
  if (auto r = receiver.lock()) {
    log_event("slow_reader", {{"peer", std::to_string(id_)}, {"waited_for", "receiver"}});
    state_->metrics().refuse("slow_reader");
    r->close(CloseCode::kMessageRate);
  }
}

template <class Stream>
void WebSocketSession<Stream>::send(Outgoing message) {
  std::size_t cost = queue_cost(message);
  queued_bytes_ += cost;  // at once, so the relay sees it before the post runs
  if (!message.binary) queued_text_bytes_ += cost;
  state_->add_queued(static_cast<int64_t>(cost));
  net::post(ws_.get_executor(),
            beast::bind_front_handler(&WebSocketSession::on_send, this->shared_from_this(), std::move(message)));
}

template <class Stream>
void WebSocketSession<Stream>::on_send(Outgoing message) {
  if (closing_) {
    dequeued(message);
    return;
  }
  if (queued_bytes_ > kMaxQueuedBytes) {
    dequeued(message);
    log_event("slow_reader", {{"peer", std::to_string(id_)}});
    state_->metrics().refuse("slow_reader");
    return do_close(CloseCode::kMessageRate);
  }
  queue_.push_back(std::move(message));
  if (queue_.size() > 1) return;  // a write is in flight
  do_write();
}

template <class Stream>
void WebSocketSession<Stream>::do_write() {
  const Outgoing& m = queue_.front();
  ws_.binary(m.binary);
  ws_.async_write(net::buffer(*m.data),
                  beast::bind_front_handler(&WebSocketSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WebSocketSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  if (ec) {
    release_waiters();  // nothing more will drain
    return fail(ec, "ws_write");
  }
  dequeued(queue_.front());
  queue_.pop_front();
  release_waiters(false);
  if (!queue_.empty() && !closing_) do_write();
}

template <class Stream>
void WebSocketSession<Stream>::when_drained(Drain which, std::function<void()> done) {
  net::post(ws_.get_executor(), beast::bind_front_handler(&WebSocketSession::on_when_drained,
                                                          this->shared_from_this(), which, std::move(done)));
}

template <class Stream>
bool WebSocketSession<Stream>::drained(Drain which) const {
  return which == Drain::kText ? queued_text_bytes_ <= kTextQueueLowBytes : queued_bytes_ <= kRelayQueueLowBytes;
}

template <class Stream>
void WebSocketSession<Stream>::on_when_drained(Drain which, std::function<void()> done) {
  if (closing_ || drained(which)) return done();
  drain_waiters_.emplace_back(which, std::move(done));
}

template <class Stream>
void WebSocketSession<Stream>::release_waiters(bool all) {
  if (drain_waiters_.empty()) return;
  std::vector<std::function<void()>> ready;
  std::vector<std::pair<Drain, std::function<void()>>> waiting;
  for (auto& w : drain_waiters_) {
    if (all || drained(w.first)) {
      ready.push_back(std::move(w.second));
    } else {
      waiting.push_back(std::move(w));
    }
  }
  drain_waiters_ = std::move(waiting);
  for (auto& done : ready) done();
}

template <class Stream>
void WebSocketSession<Stream>::close(CloseCode code) {
  net::post(ws_.get_executor(), beast::bind_front_handler(&WebSocketSession::do_close, this->shared_from_this(), code));
}

template <class Stream>
void WebSocketSession<Stream>::do_close(CloseCode code) {
  if (closing_) return;
  closing_ = true;
  pause_timer_.cancel();
  release_waiters();  // the queue is not written any more
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
