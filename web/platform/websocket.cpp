// WebSocket: see websocket.h.
#include "platform/websocket.h"

#include <emscripten/val.h>

#include <cstdlib>

namespace ferry::web {

namespace {
const emscripten::val& glue() {
  static const emscripten::val g = emscripten::val::module_property("ferryGlue");
  return g;
}
}  // namespace

WebSocket::~WebSocket() { close(1001, "client closed"); }

void WebSocket::open(const std::string& url, const std::string& subprotocol) {
  close(1000, "");
  handle_ = glue().call<int>("wsOpen", url, subprotocol);
}

bool WebSocket::send(const std::string& text) {
  if (!open_) return false;
  return glue().call<bool>("wsSend", handle_, text);
}

bool WebSocket::send_binary(ByteView bytes) {
  if (!open_) return false;
  const double after = glue().call<double>("wsSendBinary", handle_, reinterpret_cast<uintptr_t>(bytes.data()),
                                           static_cast<double>(bytes.size()));
  return after >= 0;
}

uint64_t WebSocket::buffered_amount() const {
  if (handle_ == 0) return 0;
  return static_cast<uint64_t>(glue().call<double>("wsBuffered", handle_));
}

void WebSocket::close(int code, const std::string& reason) {
  if (handle_ == 0) return;
  glue().call<void>("wsClose", handle_, code, reason);  // removes listeners: no late events
  handle_ = 0;
  open_ = false;
}

bool WebSocket::dispatch(const BrowserEvent& ev) {
  if (handle_ == 0 || ev.handle != handle_) return false;
  if (ev.kind == "open") {
    open_ = true;
    if (on_open_) on_open_();
  } else if (ev.kind == "text") {
    if (on_text_) on_text_(ev.text);
  } else if (ev.kind == "error") {
    last_error_ = ev.text;
  } else if (ev.kind == "closed") {
    open_ = false;
    handle_ = 0;
    const int code = static_cast<int>(ev.number);
    std::string reason = ev.text;
    if (reason.empty()) reason = last_error_;
    if (on_closed_) on_closed_(code, reason);
  }
  return true;
}

}  // namespace ferry::web
