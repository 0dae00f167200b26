// The client's session: everything the browser client decides, as plain logic. The platform
// (web/) turns browser events into calls here and carries out the commands this returns; the UI
// draws snapshot() each frame. No I/O, no clock (time is handed in), no randomness of its own.
//
//   creator (A)                     ferry-server                          joiner (B)
//   create()  -- create -->
//             <-- created {room, token, nameplate}   link = origin/j/room?t=token#secret
//                                                    code = nameplate-word-word
//                                           <-- join {room, token} | join {nameplate}
//             <-- peer_joined                joined {room} -->
//             <========== relay: HELLO {method: link | code} ===========  (B's password choice)
//             ===== relay: handshake share A / share B + tag / tag A ====  (session/handshake.h)
//             ===== relay: sealed {offer} / {answer} / {ice}... =========  (signal keys)
//   A opens the DataChannel; frames (protocol/frame.h) carry the transfers both ways.
//
// The session is the composition of small machines, and routes events between them:
// - Signalling (app/signalling.h): the WebSocket to the server, back-off, rejoin, giving up.
// - SecureChannel (app/secure_channel.h): the handshakes, the keys, re-keying.
// - PeerLink (app/peer_link.h): WebRTC negotiation, A's attempts, ICE restarts, the relay.
// - Lanes (app/lanes.h): more RTCPeerConnections for CHUNK frames when the direct path is far.
// - the data plane: the transfers (outgoing_, incoming_), fed while the link's path is open.
// - Messages (app/messages.h): text messages both ways, on the same path, queued while none.
// Each machine issues its commands (app/commands.h) into the session's queue, in order.
//
// Staying connected. A (the creator) drives every reconnection; B follows:
// - signalling drops: each side reopens its WebSocket with backoff and rejoins with its resume
//   token; a working DataChannel carries on meanwhile.
// - ICE goes "disconnected"/"failed" on a live channel: A restarts ICE (a sealed offer with an
//   ICE restart); after kFreshPeerAfterMs without recovery, or when the channel closes, A builds
//   a new RTCPeerConnection (a sealed offer marked "fresh", which B answers from a new one).
// - no DataChannel within kRaceRelayAfterMs and the server offers its relay (relay_rate > 0):
//   A sends sealed {"t":"race"} and both sides send their frames as binary WebSocket messages
//   through the server, which sees only sealed frames, while the direct attempt goes on. If
//   the DataChannel opens, each side moves its frames to it (the senders resume from the
//   receivers' HAVE); if not within kDirectTimeoutMs (or ICE failed), A sends sealed
//   {"t":"relay"} and the frames stay on the relay.
// - B lost its keys (a reload): B says HELLO again and A runs a new handshake with it; transfers
//   go on under the new keys (Sender::connect, Receiver::rekey, or Receiver::restore from the
//   state B kept on disk, so only missing chunks are sent again).
//
// Relay payloads are base64url of: kind (u8) || body. Kinds: 1 HELLO (body: method u8 and B's
// nonce, session/handshake.h), 2 HANDSHAKE (body: a handshake message), 3 SEALED (body:
// crypto::SealedSender output whose plaintext is a JSON object {"t": "offer"|"answer"|"ice",
// ...}). Nothing but HELLO and HANDSHAKE is accepted before the handshake confirms; a SEALED
// message that fails to open aborts the session (the server, or someone, tampered with it).
// The handshakes, the keys, the creator's attempt budget and re-keying live in SecureChannel
// (app/secure_channel.h); an incoming transfer exists only once its sealed MANIFEST opened.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "app/commands.h"
#include "app/data_plane.h"
#include "app/lanes.h"
#include "app/messages.h"
#include "app/peer_link.h"
#include "app/secure_channel.h"
#include "app/signalling.h"
#include "protocol/peer_signal.h"
#include "protocol/nearby.h"
#include "protocol/signal.h"
#include "session/handshake.h"
#include "session/ids.h"
#include "session/short_code.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::app {

// Log lines kept for the activity log; older ones scroll away.
constexpr size_t kMaxLogLines = 500;
// Text the activity log keeps, in bytes: messages are lines too, and a peer sending full-size
// (64 KiB) messages in a loop must not fill the tab's memory; 4 MiB keeps 64 of those.
constexpr size_t kMaxLogTextBytes = 4 * 1024 * 1024;


enum class Phase {
  kIdle,            // nothing started
  kConnecting,      // opening the signalling connection
  kWaitingForPeer,  // A: room created, link and code shown
  kSecuring,        // the password-authenticated handshake is running
  kConnectingPeer,  // keys agreed; WebRTC is connecting
  kConnected,       // the DataChannel is open
  kPeerLeft,        // the other side went away (A waits for it to come back)
  kFailed,          // final: error says why
};
const char* to_string(Phase phase);

struct LogLine {
  double time_ms = 0;
  std::string text;  // a message's text itself (kind kMessageSent / kMessageReceived)
  LogKind kind = LogKind::kInfo;
};

struct Snapshot {
  Phase phase = Phase::kIdle;
  bool creator = false;
  std::string status;  // one sentence for the UI and the ARIA live region
  std::string link;
  std::string short_code;
  std::string sas;
  bool sas_changed = false;  // the words differ from the ones first shown: compare them again
  bool rekeying = false;     // a new handshake runs beside the live keys; sending waits
  bool code_dead = false;    // A: too many wrong tries; the link still works, new_code() helps
  // A password room (create(password)): its link and code carry no secret, and short_code is
  // the bare number that routes the join. code_dead then means the password no longer works.
  bool password_room = false;
  bool peer_present = false;
  // A nearby transfer (app/nearby.h): the other device's generated name. Nearby devices share
  // no secret, so the verification words are the only proof of who is on the other end: the
  // UI shows them large on both screens.
  std::string nearby_peer;
  PathKind path = PathKind::kNone;  // to_string(): "direct", "direct through NAT", ...
  uint32_t lanes = 1;               // connections carrying the data (app/lanes.h)
  std::vector<TransferView> transfers;
  size_t messages_waiting = 0;  // sent while no path was open: they go when one opens
  std::optional<Error> error;
};

// A: the nearby device to invite into the room create_nearby() makes, and how this device
// names itself to it.
struct NearbyTarget {
  std::string to;         // its presence id (protocol/nearby.h)
  std::string peer_name;  // its name, for the screens
  std::string self_name;  // this device's name, which the invitation carries
  protocol::DeviceType self_device = protocol::DeviceType::kOther;
};

struct SessionOptions {
  std::string origin;  // the page's origin, for links ("https://ferry.example")
  RandomFn rng;
  uint32_t chunk_size = kPreferredChunkBytes;
  uint32_t lanes = kDefaultLanes;  // A: connections to stripe over on a far direct path (1: off)
};

class Session final : private PeerLink::Host, private Lanes::Host {
 public:
  explicit Session(SessionOptions options);

  // --- user intents -------------------------------------------------------------------------
  // A: a new room. With a password, a password room: the link and the code carry no secret and
  // the joiner must type the password (CPace's password, with the code's budget of guesses).
  void create(std::string_view password = {});
  // B: a pasted or opened link. With `resume` (a reloaded tab), rejoins with that resume token.
  // A password room's link ("#pw") needs `password` (else the error "password_needed").
  Status join_link(std::string_view link, std::string_view resume = {}, std::string_view password = {});
  // B: a typed short code; a bare number is a password room's code and needs `password`.
  Status join_code(std::string_view typed_code, std::string_view password = {});
  // A: a room for one nearby device: created as by create(), then the server is asked to invite
  // the target into it; the target joins with JoinMethod::kNearby (no shared secret). The link
  // and the code work as in any room.
  void create_nearby(NearbyTarget target);
  // B: an invitation from a nearby device (protocol::NearbyInvited): joins its room by token and
  // runs the handshake with the public nearby password.
  Status join_nearby(std::string_view room, std::string_view token, std::string peer_name);
  // A: a fresh short code for the room (after the old one died); the link is unchanged.
  void new_code();
  // B after a reload: the verification words this tab showed before, so that a change shows.
  void set_previous_sas(std::string words);
  // Files to send (either side, any time): sent as one transfer as soon as the peer is connected.
  void send_files(std::vector<transfer::SourceFile> files, std::vector<int> handles,
                  std::vector<std::string> empty_dirs = {});
  // A text message to the other device (app/messages.h): sent now, or when the path opens.
  Status send_message(std::string text);
  void pause(uint32_t transfer_id, bool outgoing);
  void resume(uint32_t transfer_id, bool outgoing);
  void cancel(uint32_t transfer_id, bool outgoing);
  // The person's answer to an incoming offer (TransferState::kOffered): accept some of its files
  // (ids of the offer's files), or decline it whole. The session goes on either way.
  void accept(uint32_t transfer_id, std::vector<uint32_t> file_ids);
  void decline(uint32_t transfer_id);
  // Accept every offer from the other device, now and for the rest of this session.
  void set_accept_all(bool on);
  bool accept_all() const { return data_.accept_all(); }
  void close();  // leave the session
  // A receiver's saved state (cmd::SaveState) found in storage after a reload; used when the
  // sender offers that transfer again.
  void restore_incoming(uint32_t transfer_id, Bytes state);

  // --- platform events ----------------------------------------------------------------------
  void tick(double now_ms);  // time for speeds and the log
  void on_server_open();
  void on_server_message(std::string_view text);
  void on_server_closed(int code, std::string_view reason);
  void on_server_binary(ByteView bytes);  // a frame through the server's relay
  // The same in the platform's receive buffer (parsed and opened in place, like a channel's).
  void on_server_binary_in_place(std::span<uint8_t> bytes);
  void on_local_description(std::string_view json);
  void on_local_candidate(std::string_view json);
  void on_peer_state(std::string_view state);  // RTCPeerConnection.connectionState
  void on_peer_error(std::string_view message);
  // The device's network changed (online: it has one now): ICE restarts at once.
  void on_network_change(bool online);
  void on_path(std::string_view path);
  void on_channel_open(size_t remote_max_message_size);
  void on_channel_message(ByteView bytes);
  // The same in the platform's receive buffer: a CHUNK is parsed, opened and hashed in place.
  void on_channel_message_in_place(std::span<uint8_t> bytes);
  void on_channel_closed();
  // The primary connection's round trip (getStats: the selected pair's currentRoundTripTime).
  void on_round_trip(double rtt_ms);
  // The extra connections (lanes 1 .. protocol::kMaxLanes - 1), as the primary's events above.
  void on_lane_local_description(uint32_t lane, std::string_view json);
  void on_lane_local_candidate(uint32_t lane, std::string_view json);
  void on_lane_state(uint32_t lane, std::string_view state);
  void on_lane_open(uint32_t lane);
  void on_lane_closed(uint32_t lane);
  // The channel may take more (bufferedAmount fell): asks the senders for more reads. With
  // lanes: the least any lane holds (scaled, see kLaneQueueScale).
  void pump(uint64_t buffered_amount);
  void on_file_read(uint32_t transfer_id, uint32_t file_id, uint64_t index, ByteView bytes);
  void on_file_read_error(uint32_t transfer_id, std::string_view message);
  void on_sink_read(uint32_t transfer_id, uint32_t file_id, uint64_t index, ByteView bytes);
  void on_sink_error(uint32_t transfer_id, uint32_t file_id, std::string_view message);
  void on_storage_error(std::string_view message);  // saving a transfer's state failed
  // Bytes of earlier WriteSink/DataIo writes of a transfer are on disk (flow control).
  void on_sink_written(uint32_t transfer_id, uint64_t bytes) { data_.on_sink_written(transfer_id, bytes); }

  std::vector<Command> take_commands();
  bool has_commands() const { return !out_->commands.empty(); }
  // Where CHUNK frames and chunk writes go at once (the browser); without one they become
  // cmd::SendFrame and cmd::WriteSink.
  void set_data_io(DataIo* io) { data_.set_io(io); }
  bool transfers_moving() const { return data_.moving(); }
  Snapshot snapshot() const;
  Phase phase() const { return phase_; }  // snapshot().phase, without building a snapshot
  const std::deque<LogLine>& log() const { return out_->log; }
  uint64_t log_total() const { return out_->log_total; }  // lines logged so far, dropped ones included
  Transport transport() const { return peer_link_.transport(); }
  // CHUNK frames may go on extra lane `lane` (the primary, lane 0, carries everything else).
  bool lane_usable(uint32_t lane) const {
    return transport_ == Transport::kDirect && lanes_.usable(lane);
  }
  // Channels are kept to short queues (app/lanes.h kLaneQueueScale): bufferedamountlow
  // thresholds of kLaneLowWatermarkBytes.
  bool short_queues() const { return transport_ == Transport::kDirect && lanes_.short_queues(); }
  // The joiner's current resume token (it changes on every rejoin), for a reloaded tab.
  const std::string& resume_token() const { return signalling_.resume_token(); }
  // Prefix of every storage key of this session ("<room>-"), "" before the room is known.
  std::string storage_prefix() const;
  // The browser handle of file `file_id` of outgoing transfer `transfer_id` (for ReadFile).
  int file_handle(uint32_t transfer_id, uint32_t file_id) const;

 private:
  void emit(Command c) override { out_->commands.push_back(std::move(c)); }
  void log(std::string text) override;
  void fail(Error error);

 public:
  // A line for the activity log from the platform (e.g. a dropped folder could not be read).
  void note(std::string text) { log(std::move(text)); }

 private:
  void send_server(const protocol::ClientMessage& m);
  void send_relay(RelayKind kind, ByteView body);
  void send_signal(const protocol::PeerSignal& message) override;
  void flush_channel();
  // Opens or closes the messages' path: open while the link's path is, with live keys and no
  // new handshake running beside them (what is sent then might be under keys about to go).
  void sync_messages();
  // A MESSAGE frame from either path goes to messages_ (returns true); anything else is not.
  bool take_message(ByteView bytes);
  bool accepts(Transport from) const;
  void on_channel_event(SecureChannel::Event event);
  void on_relay(std::string_view payload);
  void on_sealed(ByteView body);
  void on_created(const protocol::Created& m);
  void on_joined(const protocol::Joined& m);
  void on_server_error(const protocol::ErrorMessage& m);
  void peer_gone(const std::string& why);
  void say_hello();
  std::string waiting_status() const;
  bool secured() const { return channel_ && channel_->secured(); }
  std::string connected_status() const;
  void maintain_connection();
  // PeerLink::Host: the link's data path opened or closed, its path changed, it failed.
  void on_link_opened(size_t max_message_size) override;
  void on_link_closed() override;
  void on_path_changed() override;
  void on_link_failed(Error error) override { fail(std::move(error)); }
  // Lanes::Host: an open lane closed with chunks perhaps in flight on it.
  void on_lane_lost() override;
  bool can_signal() const override { return signalling_.open() && peer_present_; }
  bool peer_present() const override { return peer_present_; }
  void on_handshake_confirmed(bool rekeyed);
  void on_new_nameplate(const protocol::NewNameplate& m);

  SessionOptions options_;
  Phase phase_ = Phase::kIdle;
  bool creator_ = false;
  double now_ms_ = 0;
  double last_tick_ms_ = -1e18;
  // Commands and log lines, on the heap so that the data plane's hooks stay valid when a
  // Session is moved.
  struct Outbox {
    std::deque<Command> commands;
    std::deque<LogLine> log;
    uint64_t log_total = 0;
    size_t log_bytes = 0;  // text of the lines kept
    double now_ms = 0;
    void add_log(std::string text, LogKind kind = LogKind::kInfo);
  };
  std::unique_ptr<Outbox> out_ = std::make_unique<Outbox>();
  std::optional<Error> error_;
  std::string status_;

  // Room and credentials (secrets: the link secret and the short-code words never leave here
  // except as the link and code shown to the user).
  std::optional<session::RoomId> room_;
  std::optional<session::JoinToken> token_;
  std::optional<session::LinkSecret> secret_;
  std::optional<session::ShortCode> code_;
  std::optional<JoinMethod> method_;
  bool password_room_ = false;    // A: create(password)
  std::optional<NearbyTarget> nearby_target_;  // A: create_nearby(), until the invitation went
  std::string nearby_peer_;                    // both: the nearby device's name
  Bytes room_password_;           // A until the room exists, B until it joined: then wiped
  std::optional<uint32_t> nameplate_;  // a password room's code (A), or the one B typed
  std::string link_;
  bool peer_present_ = false;

  Signalling signalling_;
  PeerLink peer_link_;
  Lanes lanes_;

  std::optional<SecureChannel> channel_;  // made once the room is known
  DataPlane data_;                        // the transfers
  Messages messages_;                     // the text messages
  size_t link_max_message_ = 0;           // the open path's limit per message (0: unknown)
  std::string previous_sas_;              // set_previous_sas()
  bool new_code_asked_ = false;           // new_code() awaits the server's nameplate
  std::string sas_;
  // The data plane's view of the link: set only when the link opens or closes its data path.
  bool channel_open_ = false;
  Transport transport_ = Transport::kNone;
  bool joined_once_ = false;
  bool joined_peer_once_ = false;
};

}  // namespace ferry::app
