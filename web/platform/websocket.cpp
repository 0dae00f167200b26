// WebSocket: see websocket.h.
#include "platform/websocket.h"

#include <emscripten/val.h>

#include <cstdlib>

namespace ferry::web {

namespace {
emscripten::val glue() { return emscripten::val::module_property("ferryGlue"); }
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
  emscripten::val view(emscripten::typed_memory_view(bytes.size(), bytes.data()));
  return glue().call<bool>("wsSendBinary", handle_, view);
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
  } else if (ev.kind == "binary") {
    if (on_binary_) on_binary_(ev.bytes);
  } else if (ev.kind == "error") {
    last_error_ = ev.text;
  } else if (ev.kind == "closed") {
    open_ = false;
    handle_ = 0;
    const int code = std::atoi(ev.text.c_str());
    const size_t space = ev.text.find(' ');
    std::string reason = space == std::string::npos ? "" : ev.text.substr(space + 1);
    if (reason.empty()) reason = last_error_;
    if (on_closed_) on_closed_(code, reason);
  }
  return true;
}

}  // namespace ferry::web
