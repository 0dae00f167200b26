// Accepts TCP connections and starts an HttpSession on each, plain or TLS.
#pragma once

#include <memory>

#include "beast.h"
#include "shared_state.h"

namespace ferry::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // tls: nullptr for plain HTTP. ec reports a failure to open, bind or listen.
  Listener(net::io_context& ioc, ssl::context* tls, tcp::endpoint endpoint, std::shared_ptr<SharedState> state,
           beast::error_code& ec);
  void run() { do_accept(); }
  void stop();
  tcp::endpoint local_endpoint() const;

 private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void serve(tcp::socket socket);

  net::io_context& ioc_;
  ssl::context* tls_;
  tcp::acceptor acceptor_;
  std::shared_ptr<SharedState> state_;
};

}  // namespace ferry::server
