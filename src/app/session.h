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
// - the data plane: the transfers (outgoing_, incoming_), fed while the link's path is open.
// Each machine issues its commands (app/commands.h) into the session's queue, in order.
//
// Staying connected. A (the creator) drives every reconnection; B follows:
// - signalling drops: each side reopens its WebSocket with backoff and rejoins with its resume
//   token; a working DataChannel carries on meanwhile.
// - ICE goes "disconnected"/"failed" on a live channel: A restarts ICE (a sealed offer with an
//   ICE restart); after kFreshPeerAfterMs without recovery, or when the channel closes, A builds
//   a new RTCPeerConnection (a sealed offer marked "fresh", which B answers from a new one).
// - no DataChannel within kDirectTimeoutMs (or ICE failed) and the server offers its relay
//   (relay_rate > 0): A sends sealed {"t":"relay"} and both sides send their frames as binary
//   WebSocket messages through the server, which sees only sealed frames.
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
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "app/commands.h"
#include "app/peer_link.h"
#include "app/secure_channel.h"
#include "app/signalling.h"
#include "protocol/peer_signal.h"
#include "protocol/signal.h"
#include "session/handshake.h"
#include "session/ids.h"
#include "session/short_code.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::app {

// Most incoming transfers we keep at once: each holds a have-map and per-file state; a peer that
// opens more is misbehaving.
constexpr size_t kMaxIncomingTransfers = 64;
// Frames dropped before a MANIFEST opened are logged once per this many (a flood of forged
// frames must not flood the log).
constexpr uint64_t kDroppedFrameLogEvery = 1000;
// Transfer ids start at a random number below this mask + 1 (see the constructor): 2^30 leaves
// 3 * 2^30 ids to count up before the u32 wraps.
constexpr uint32_t kTransferIdStartMask = (1u << 30) - 1;
// Log lines kept for the activity log; older ones scroll away.
constexpr size_t kMaxLogLines = 500;
// Frame overhead on a DataChannel message: the CHUNK header and the AEAD nonce and tag.
constexpr uint32_t kChunkFrameOverheadBytes = 23 + 24 + 16;
// Chunk size on a DataChannel, in bytes. Measured in bench/throughput (500 MB, Chromium to
// Chromium): 64 KiB chunks gave 11.0 MB/s and 256 KiB chunks 10.1 MB/s: the cost is CPU per
// byte, not per message, so the smaller size that every browser accepts wins. A peer that
// announces a smaller a=max-message-size still gets chunks that fit.
constexpr uint32_t kPreferredChunkBytes = transfer::kDefaultChunkBytes;
// Chunk reads in flight per outgoing transfer: reads are served from 4 MiB blocks read ahead
// by the glue, so 8 chunks (2 MiB) in flight keep the channel full (bench/throughput) while
// bounding the wasm heap.
constexpr size_t kReadsInFlight = 8;
// Speed is averaged over this window, in milliseconds: long enough to be steady, short enough
// to follow a change of network.
constexpr double kSpeedWindowMs = 3000;
// Speeds are sampled this often, in milliseconds; tick() does nothing in between (it runs on
// every drained browser event, i.e. per chunk).
constexpr double kSpeedSampleMs = 250;

// A receiver's state (manifest and have-maps) is saved to disk after this many new bytes, so a
// reloaded tab resumes from there.
constexpr uint64_t kPersistEveryBytes = 4ull * 1024 * 1024;

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
  std::string text;
};

// kWaiting also while the connection is down.
enum class TransferState : uint8_t { kWaiting, kSending, kReceiving, kPaused, kComplete, kCancelled, kFailed };
// "waiting", "sending", "receiving", "paused", "complete", "cancelled", "failed"
const char* to_string(TransferState state);
// Bytes flow: a transfer neither waits, nor is paused, nor is over.
constexpr bool moving(TransferState state) {
  return state == TransferState::kSending || state == TransferState::kReceiving;
}

struct TransferView {
  uint32_t id = 0;
  bool outgoing = false;
  TransferState state = TransferState::kWaiting;
  bool paused_here = false;  // paused by this side: only this side can resume it
  transfer::TransferProgress progress;
  double bytes_per_second = 0;
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
  bool peer_present = false;
  PathKind path = PathKind::kNone;  // to_string(): "direct", "direct through NAT", ...
  std::vector<TransferView> transfers;
  std::optional<Error> error;
};

struct SessionOptions {
  std::string origin;  // the page's origin, for links ("https://ferry.example")
  RandomFn rng;
  uint32_t chunk_size = kPreferredChunkBytes;
};

class Session final : private PeerLink::Host {
 public:
  explicit Session(SessionOptions options);

  // --- user intents -------------------------------------------------------------------------
  void create();                                 // A: a new room
  // B: a pasted or opened link. With `resume` (a reloaded tab), rejoins with that resume token.
  Status join_link(std::string_view link, std::string_view resume = {});
  Status join_code(std::string_view typed_code); // B: a typed short code
  // A: a fresh short code for the room (after the old one died); the link is unchanged.
  void new_code();
  // B after a reload: the verification words this tab showed before, so that a change shows.
  void set_previous_sas(std::string words);
  // Files to send (either side, any time): sent as one transfer as soon as the peer is connected.
  void send_files(std::vector<transfer::SourceFile> files, std::vector<int> handles);
  void pause(uint32_t transfer_id, bool outgoing);
  void resume(uint32_t transfer_id, bool outgoing);
  void cancel(uint32_t transfer_id, bool outgoing);
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
  void on_local_description(std::string_view json);
  void on_local_candidate(std::string_view json);
  void on_peer_state(std::string_view state);  // RTCPeerConnection.connectionState
  void on_peer_error(std::string_view message);
  // The device's network changed (online: it has one now): ICE restarts at once.
  void on_network_change(bool online);
  void on_path(std::string_view path);
  void on_channel_open(size_t remote_max_message_size);
  void on_channel_message(ByteView bytes);
  void on_channel_closed();
  // The channel may take more (bufferedAmount fell): asks the senders for more reads.
  void pump(uint64_t buffered_amount);
  void on_file_read(uint32_t transfer_id, uint32_t file_id, uint64_t index, ByteView bytes);
  void on_file_read_error(uint32_t transfer_id, std::string_view message);
  void on_sink_read(uint32_t transfer_id, uint32_t file_id, uint64_t index, ByteView bytes);
  void on_sink_error(uint32_t transfer_id, uint32_t file_id, std::string_view message);
  void on_storage_error(std::string_view message);  // saving a transfer's state failed

  std::vector<Command> take_commands();
  Snapshot snapshot() const;
  const std::deque<LogLine>& log() const { return log_; }
  uint64_t log_total() const { return log_total_; }  // lines logged so far, dropped ones included
  Transport transport() const { return peer_link_.transport(); }
  // The joiner's current resume token (it changes on every rejoin), for a reloaded tab.
  const std::string& resume_token() const { return signalling_.resume_token(); }
  // Prefix of every storage key of this session ("<room>-"), "" before the room is known.
  std::string storage_prefix() const;
  // The browser handle of file `file_id` of outgoing transfer `transfer_id` (for ReadFile).
  int file_handle(uint32_t transfer_id, uint32_t file_id) const;

 private:
  struct Outgoing {
    std::optional<transfer::Sender> sender;  // made when the channel opens (chunk size known)
    std::vector<transfer::SourceFile> files;
    std::vector<int> handles;
    uint64_t last_bytes = 0;
    double speed = 0;
    double speed_since = -1;
  };
  struct Incoming {
    transfer::Receiver receiver;
    uint64_t unsaved_bytes = 0;  // written since the last SaveState
    uint64_t last_bytes = 0;
    double speed = 0;
    double speed_since = -1;
  };

  enum class Control { kPause, kResume, kCancel };
  void control(uint32_t id, bool outgoing, Control what);
  void emit(Command c) override { commands_.push_back(std::move(c)); }
  void log(std::string text) override;
  void fail(Error error);
  void send_server(const protocol::ClientMessage& m);
  void send_relay(RelayKind kind, ByteView body);
  void send_signal(const protocol::PeerSignal& message) override;
  void flush_channel();
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
  bool can_signal() const override { return signalling_.open() && peer_present_; }
  bool peer_present() const override { return peer_present_; }
  void on_handshake_confirmed(bool rekeyed);
  std::string state_key(uint32_t transfer_id) const;
  transfer::Receiver new_receiver(uint32_t transfer_id, bool& restored);
  void reopen_sinks(uint32_t transfer_id, const transfer::Receiver& r);
  void on_new_nameplate(const protocol::NewNameplate& m);
  void start_outgoing(Outgoing& out, uint32_t id);
  void run_receiver_commands(uint32_t transfer_id, std::vector<transfer::Command> cmds);
  void send_frames(const std::vector<Bytes>& frames);
  static void update_speed(double now, uint64_t bytes, uint64_t& last_bytes, double& speed,
                           double& since);

  SessionOptions options_;
  Phase phase_ = Phase::kIdle;
  bool creator_ = false;
  double now_ms_ = 0;
  double last_speed_sample_ = -1e18;
  std::deque<Command> commands_;
  std::deque<LogLine> log_;
  uint64_t log_total_ = 0;
  std::optional<Error> error_;
  std::string status_;

  // Room and credentials (secrets: the link secret and the short-code words never leave here
  // except as the link and code shown to the user).
  std::optional<session::RoomId> room_;
  std::optional<session::JoinToken> token_;
  std::optional<session::LinkSecret> secret_;
  std::optional<session::ShortCode> code_;
  std::optional<JoinMethod> method_;
  std::string link_;
  bool peer_present_ = false;

  Signalling signalling_;
  PeerLink peer_link_;

  std::optional<SecureChannel> channel_;  // made once the room is known
  std::string previous_sas_;              // set_previous_sas()
  bool new_code_asked_ = false;           // new_code() awaits the server's nameplate
  uint64_t dropped_frames_ = 0;           // frames of no transfer whose MANIFEST opened
  std::string sas_;
  // The data plane's view of the link: set only when the link opens or closes its data path.
  bool channel_open_ = false;
  Transport transport_ = Transport::kNone;
  uint32_t chunk_size_ = transfer::kDefaultChunkBytes;
  bool joined_once_ = false;
  bool joined_peer_once_ = false;
  std::map<uint32_t, Bytes> persisted_;  // restore_incoming(), until the sender offers it

  uint32_t next_transfer_id_ = 1;
  std::map<uint32_t, Outgoing> outgoing_;
  std::map<uint32_t, Incoming> incoming_;
};

}  // namespace ferry::app
