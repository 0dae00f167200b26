// RTCPeerConnection and RTCDataChannel: see peer_connection.h.
#include "platform/peer_connection.h"

#include <emscripten/val.h>

#include <cstdlib>

namespace ferry::web {

namespace {
// Module.ferryGlue, looked up once.
const emscripten::val& glue() {
  static const emscripten::val g = emscripten::val::module_property("ferryGlue");
  return g;
}
}  // namespace

// --- DataChannel ------------------------------------------------------------------------------

DataChannel::~DataChannel() { close(); }

void DataChannel::adopt(Handle h) {
  close();
  handle_ = h;
}

bool DataChannel::send(ByteView bytes) {
  if (!open_) return false;
  // Pointer and length into wasm memory, valid for this call only: the browser copies it at
  // send(), and answers with bufferedAmount (one call per frame, nothing else).
  const double after = glue().call<double>("dcSend", handle_, reinterpret_cast<uintptr_t>(bytes.data()),
                                           static_cast<double>(bytes.size()));
  if (after < 0) return false;
  buffered_ = static_cast<size_t>(after);
  return true;
}

size_t DataChannel::refresh_buffered_amount() {
  if (open_) buffered_ = static_cast<size_t>(glue().call<double>("dcBuffered", handle_));
  return buffered_;
}

void DataChannel::set_buffered_low_threshold(size_t bytes) {
  if (handle_ != 0) glue().call<void>("dcSetLowThreshold", handle_, static_cast<double>(bytes));
}

void DataChannel::close() {
  if (handle_ == 0) return;
  glue().call<void>("dcClose", handle_);
  handle_ = 0;
  open_ = false;
}

bool DataChannel::dispatch(BrowserEvent& ev) {
  if (handle_ == 0 || ev.handle != handle_) return false;
  if (ev.kind == "open") {
    open_ = true;
    if (on_open_) on_open_();
  } else if (ev.kind == "buffered_low") {
    buffered_ = static_cast<size_t>(ev.number);
    if (on_buffered_low_) on_buffered_low_();
  } else if (ev.kind == "error") {
    last_error_ = ev.text;
  } else if (ev.kind == "closed") {
    open_ = false;
    handle_ = 0;
    if (on_closed_) on_closed_(last_error_.empty() ? "the data channel closed" : last_error_);
  }
  return true;
}

// --- PeerConnection ---------------------------------------------------------------------------

PeerConnection::~PeerConnection() { close(); }

void PeerConnection::create(const std::string& ice_servers_json) {
  close();
  handle_ = glue().call<int>("pcCreate", ice_servers_json);
}

void PeerConnection::create_offer(bool ice_restart) {
  if (handle_ != 0) glue().call<void>("pcCreateOffer", handle_, ice_restart);
}

void PeerConnection::set_remote_description(const std::string& json) {
  if (handle_ != 0) glue().call<void>("pcSetRemote", handle_, json);
}

void PeerConnection::add_ice_candidate(const std::string& json) {
  if (handle_ != 0) glue().call<void>("pcAddIce", handle_, json);
}

Handle PeerConnection::create_data_channel(const std::string& label) {
  if (handle_ == 0) return 0;
  return glue().call<int>("dcCreate", handle_, label);
}

size_t PeerConnection::max_message_size() const {
  if (handle_ == 0) return 0;
  return static_cast<size_t>(glue().call<double>("pcMaxMessageSize", handle_));
}

void PeerConnection::query_path() {
  if (handle_ != 0) glue().call<void>("pcQueryPath", handle_);
}

void PeerConnection::close() {
  if (handle_ == 0) return;
  glue().call<void>("pcClose", handle_);
  handle_ = 0;
}

bool PeerConnection::dispatch(const BrowserEvent& ev) {
  if (handle_ == 0 || ev.handle != handle_) return false;
  if (ev.kind == "local_description") {
    if (on_local_description_) on_local_description_(ev.text);
  } else if (ev.kind == "ice") {
    if (on_ice_candidate_) on_ice_candidate_(ev.text);
  } else if (ev.kind == "state") {
    if (on_state_) on_state_(ev.text);
  } else if (ev.kind == "datachannel") {
    if (on_data_channel_) on_data_channel_(static_cast<Handle>(ev.number));
  } else if (ev.kind == "path") {
    if (on_path_) on_path_(ev.text, ev.number);
  } else if (ev.kind == "error") {
    if (on_error_) on_error_(ev.text);
  }
  return true;
}

}  // namespace ferry::web
