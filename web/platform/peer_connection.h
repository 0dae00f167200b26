// RTCPeerConnection and RTCDataChannel through the browser's own implementation
// (platform/js/peer.js, channel.js), libdatachannel-style: on_x() setters, events dispatched
// from the queue. Binary messages arrive as data batches (platform/events.h), not events.
//
// Implements: offer/answer, trickle ICE, connection state, ICE restart, the selected path
// (host / srflx / relay) and its round trip, binary data channels with bufferedAmount backpressure and the remote
// max-message-size. Lacks: media (Ferry sends files only).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "platform/events.h"
#include "util/bytes.h"

namespace ferry::web {

class DataChannel {
 public:
  DataChannel() = default;
  explicit DataChannel(Handle h) : handle_(h) {}
  DataChannel(const DataChannel&) = delete;
  DataChannel& operator=(const DataChannel&) = delete;
  ~DataChannel();

  void adopt(Handle h);  // a channel the peer opened (the "datachannel" event)
  bool send(ByteView bytes);
  // What the channel holds: the figure the browser gave with the last send() or buffered_low
  // event, so pumping asks it nothing (each question is a call into JS). A stale figure can only
  // be high while sends are held back, and the buffered_low event corrects it then.
  size_t buffered_amount() const { return buffered_; }
  // Asks the browser (one call into JS), for when the figure above must be exact (lanes).
  size_t refresh_buffered_amount();
  void set_buffered_low_threshold(size_t bytes);
  void close();
  bool is_open() const { return open_; }
  Handle handle() const { return handle_; }

  void on_open(std::function<void()> f) { on_open_ = std::move(f); }
  void on_buffered_low(std::function<void()> f) { on_buffered_low_ = std::move(f); }
  void on_closed(std::function<void(const std::string& why)> f) { on_closed_ = std::move(f); }

  bool dispatch(BrowserEvent& ev);

 private:
  Handle handle_ = 0;
  bool open_ = false;
  size_t buffered_ = 0;
  std::string last_error_;
  std::function<void()> on_open_;
  std::function<void()> on_buffered_low_;
  std::function<void(const std::string&)> on_closed_;
};

class PeerConnection {
 public:
  PeerConnection() = default;
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;
  ~PeerConnection();

  // ice_servers_json: the RTCIceServer list as JSON, from the signalling server.
  void create(const std::string& ice_servers_json);
  void create_offer(bool ice_restart = false);
  void set_remote_description(const std::string& json);  // answers an offer by itself
  void add_ice_candidate(const std::string& json);       // "" = end of candidates
  Handle create_data_channel(const std::string& label);
  size_t max_message_size() const;  // 0 until known
  void query_path();                // answers through on_path
  void close();
  Handle handle() const { return handle_; }

  void on_local_description(std::function<void(const std::string& json)> f) { on_local_description_ = std::move(f); }
  void on_ice_candidate(std::function<void(const std::string& json)> f) { on_ice_candidate_ = std::move(f); }
  void on_state(std::function<void(const std::string& state)> f) { on_state_ = std::move(f); }
  void on_data_channel(std::function<void(Handle)> f) { on_data_channel_ = std::move(f); }
  // path: "host" | "srflx" | "relay"; rtt_ms: the selected pair's currentRoundTripTime (< 0:
  // not known yet).
  void on_path(std::function<void(const std::string& path, double rtt_ms)> f) { on_path_ = std::move(f); }
  void on_error(std::function<void(const std::string& message)> f) { on_error_ = std::move(f); }

  bool dispatch(const BrowserEvent& ev);

 private:
  Handle handle_ = 0;
  std::function<void(const std::string&)> on_local_description_;
  std::function<void(const std::string&)> on_ice_candidate_;
  std::function<void(const std::string&)> on_state_;
  std::function<void(Handle)> on_data_channel_;
  std::function<void(const std::string&, double)> on_path_;
  std::function<void(const std::string&)> on_error_;
};

}  // namespace ferry::web
