// WebSocket through the browser's own implementation (platform/js/websocket.js), libdatachannel-style:
// callbacks are set with on_x(), events arrive from the frame loop's queue via dispatch().
//
// Implements: text and binary messages, bufferedAmount, open/close/error with the close code.
// Binary messages carry sealed transfer frames when the data goes through the server's relay;
// they arrive as data batches (platform/events.h), not as events.
#pragma once

#include <functional>
#include <string>

#include "platform/events.h"
#include "util/bytes.h"

namespace ferry::web {

class WebSocket {
 public:
  WebSocket() = default;
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;
  ~WebSocket();

  void open(const std::string& url, const std::string& subprotocol);
  bool send(const std::string& text);  // false when not open
  bool send_binary(ByteView bytes);    // false when not open
  uint64_t buffered_amount() const;    // bytes queued in the browser, not yet on the wire
  void close(int code = 1000, const std::string& reason = "");
  bool is_open() const { return open_; }
  Handle handle() const { return handle_; }

  void on_open(std::function<void()> f) { on_open_ = std::move(f); }
  void on_text(std::function<void(const std::string&)> f) { on_text_ = std::move(f); }
  // code is the WebSocket close code (1006 when the connection failed), reason its text.
  void on_closed(std::function<void(int code, const std::string& reason)> f) {
    on_closed_ = std::move(f);
  }

  // Returns true if the event was this socket's.
  bool dispatch(const BrowserEvent& ev);

 private:
  Handle handle_ = 0;
  bool open_ = false;
  std::string last_error_;
  std::function<void()> on_open_;
  std::function<void(const std::string&)> on_text_;
  std::function<void(int, const std::string&)> on_closed_;
};

}  // namespace ferry::web
