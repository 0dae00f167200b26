// One signalling connection on /ws: reads text and binary messages into SharedState and writes
// what it is sent through a queue, on its own strand (with --threads > 1; one I/O thread needs
// none, see Listener::do_accept). Lives as long as an operation holds it
// (shared_from_this); SharedState holds it only weakly.
//
// Data relay backpressure: after a binary message SharedState may ask for a pause. The session
// then does not read until a timer (the relay budget) and/or the receiver's queue (when_drained)
// lets it, so the sender's TCP window closes and its browser buffers instead of the server:
//
//   kActive --budget in debt--> kBudget --timer--> kReceiver (if its queue is over the mark)
//      ^                                             | drained, or the receiver is gone
//      +---------------------------------------------+ (a receiver that does not drain within
//                                                       the idle timeout is closed as a slow reader)
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "beast.h"
#include "shared_state.h"

namespace ferry::server {

template <class Stream>
class WebSocketSession : public Peer, public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  // jwt: the token the upgrade request offered (empty: none); verified once attached, then dropped.
  WebSocketSession(Stream&& stream, std::shared_ptr<SharedState> state, std::string ip, std::string jwt = {});
  ~WebSocketSession() override;

  // Takes over after the HTTP upgrade request was read.
  void run(http::request<http::string_body> req);

  void send(Outgoing message) override;
  void close(CloseCode code) override;
  size_t queued_bytes() const override { return queued_bytes_.load(); }
  size_t queued_text_bytes() const override { return queued_text_bytes_.load(); }
  void when_drained(Drain which, std::function<void()> done) override;

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  // Reading, or why not.
  enum class Reading { kActive, kBudget, kReceiver };

  void do_pause(ReadPause pause);
  void on_budget(uint64_t pause, std::weak_ptr<Peer> receiver, Drain drain, beast::error_code ec);
  void on_drained(uint64_t pause);
  void on_drain_deadline(uint64_t pause, std::weak_ptr<Peer> receiver, beast::error_code ec);
  void on_send(Outgoing message);
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  void on_when_drained(Drain which, std::function<void()> done);
  bool drained(Drain which) const;
  // Releases the waiters whose queue drained (all of them when everything is to go).
  void release_waiters(bool all = true);
  // Bytes of a message that left the queue (written or dropped), off every counter.
  void dequeued(const Outgoing& m);
  void do_close(CloseCode code);
  void on_close(beast::error_code ec);

  websocket::stream<Stream> ws_;
  net::steady_timer pause_timer_;
  std::shared_ptr<SharedState> state_;
  std::string ip_;
  std::string jwt_;
  beast::flat_buffer buffer_;
  websocket::stream_base::timeout timeouts_{};
  std::deque<Outgoing> queue_;
  std::atomic<size_t> queued_bytes_{0};                // queue_ plus messages posted to it
  std::atomic<size_t> queued_text_bytes_{0};           // the text messages among them
  std::vector<std::pair<Drain, std::function<void()>>> drain_waiters_;  // senders paused until it drains
  PeerId id_ = 0;
  std::size_t hard_limit_ = 0;  // bytes of one message, see kHardTextFactor
  bool closing_ = false;
  Reading reading_ = Reading::kActive;  // while paused, the idle timeout is off
  uint64_t pause_ = 0;  // numbers pauses, so a late timer or drain of an earlier one is ignored
};

extern template class WebSocketSession<PlainStream>;
extern template class WebSocketSession<TlsStream>;

}  // namespace ferry::server
