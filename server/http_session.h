// One HTTP connection: serves static files, /healthz and /metrics, and hands /ws upgrade
// requests to a WebSocketSession. Keep-alive, with a body limit and a read timeout.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "beast.h"
#include "shared_state.h"

namespace ferry::server {

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& stream, std::shared_ptr<SharedState> state);
  void run();

 private:
  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  template <class Body>
  void send(http::response<Body>&& res);
  void on_write(bool close, beast::error_code ec, std::size_t bytes);
  void do_close();

  Stream stream_;
  std::shared_ptr<SharedState> state_;
  std::string ip_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace ferry::server
