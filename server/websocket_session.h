// One signalling connection on /ws: reads text frames into SharedState and writes what it is
// sent through a queue, on its own strand. Lives as long as an operation holds it
// (shared_from_this); SharedState holds it only weakly.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "beast.h"
#include "shared_state.h"

namespace ferry::server {

template <class Stream>
class WebSocketSession : public Peer, public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  WebSocketSession(Stream&& stream, std::shared_ptr<SharedState> state, std::string ip);
  ~WebSocketSession() override;

  // Takes over after the HTTP upgrade request was read.
  void run(http::request<http::string_body> req);

  void send(std::shared_ptr<const std::string> text) override;
  void close(CloseCode code) override;

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_send(std::shared_ptr<const std::string> text);
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  void do_close(CloseCode code);
  void on_close(beast::error_code ec);

  websocket::stream<Stream> ws_;
  std::shared_ptr<SharedState> state_;
  std::string ip_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  PeerId id_ = 0;
  bool closing_ = false;
};

extern template class WebSocketSession<PlainStream>;
extern template class WebSocketSession<TlsStream>;

}  // namespace ferry::server
