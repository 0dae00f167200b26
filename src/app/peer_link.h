// The link between the two devices once the keys are agreed: WebRTC negotiation through sealed
// signalling, the creator's connection attempts, ICE restarts, fresh peer connections, and the
// fallback to the server's relay. Plain logic: the session hands in the browser's events and the
// time; the link issues commands (CreatePeer, CreateOffer, ...) and sealed peer signals through
// the Host it is handed on each call, and tells it when the data path opens and closes.
//
// A (the creator) drives every (re)connection; B follows A's offers and its "race" and "relay"
// messages.
//
//   kIdle --A: start_attempt()--> kConnecting --ICE "failed"--> kIceFailed
//     ^                             |   |  |                      |
//     |                             |   |  +- kDirectTimeoutMs ---+--> relay offered: kRelayed
//     |                             |   |     (or failed)         |    never connected and ICE
//     |                             |   |                         |    failed: the session fails
//     |                             |   |                         +--> else a new attempt
//     |                             |   |                              (kConnecting)
//     |                             |   +- A: kRaceRelayAfterMs without a channel, relay offered:
//     |                             |      sealed "race"; B: A's "race" of its attempt
//     |                             |      v
//     |                             |   kRacing: the frames go through the relay while the
//     |                             |      |     direct attempt goes on
//     |                             |      +- DataChannel open: the path moves to it (kDirect;
//     |                             |      |  each side's senders resume from the other's HAVE)
//     |                             |      +- A: kDirectTimeoutMs or ICE "failed": sealed "relay";
//     |                             |      |  B: A's "relay" --> kRelayed (the path stays)
//     |                             |      +- relay dropped --> kConnecting (the attempt goes on)
//     |                 DataChannel open
//     |                             v
//     +-- channel closed --- kDirect <--ICE well / bad--> kInterrupted --kIceRestartAfterMs-->
//     |   (A: at once, at         |                         |   A restarts ICE (a sealed offer
//     |    most every             |                         |   on the same connection), at most
//     |    kMinAttemptGapMs)      |                         |   every kIceRestartEveryMs;
//     |                           |                         +-- kFreshPeerAfterMs: A builds a
//     |                           |                             new RTCPeerConnection (kConnecting)
//     +-- relay dropped ------ kRelayed <-- A: the fallback above / B: A's sealed "relay"
//     +-- reset() (new keys: the old path belongs to the old ones)
//
// In kInterrupted with the other device gone from the server too, the path is dead: it closes
// (kConnecting for A, whose attempt clock still runs, so it falls back or tries again at once
// when the other device is back). Once an attempt fell back to the relay, every later attempt
// uses it too. Every offer, answer, candidate and "race" carries A's attempt number ("gen"):
// messages of an earlier attempt are ignored.
//
// The race and the switch. Each side moves its own data path when its own DataChannel opens
// (A's "race" only tells B to take frames from the relay meanwhile). A side takes frames only
// from the path it sends on: frames still on their way through the relay when the path moved
// are dropped, and the senders, which reconnect on the new path (MANIFEST, HAVE), send them
// again; nothing the receiver already has is sent twice. A decides: if it gives up the direct
// attempt while B's channel just opened, its "relay" moves B back. B answers a "relay" that
// found it not taking frames from the relay (moved to that channel, or it never followed the
// race, e.g. its offer was lost while it was away) with "relay", on which A's senders resume
// from B's HAVE too: B dropped what A sent on the relay meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "protocol/peer_signal.h"
#include "util/result.h"

namespace ferry::app {

// The initial direct attempt gets this long, in ms, to open a DataChannel before the data goes
// through the server's relay (when the server offers one). ICE over a host or STUN candidate
// takes well under a second; a TURN allocation a few seconds.
constexpr double kDirectTimeoutMs = 15000;
// A direct attempt with no DataChannel this long, in ms, while the server offers its relay:
// the frames go through the relay meanwhile (kRacing), and move to the DataChannel when it
// opens. ICE over host or STUN candidates, DTLS and SCTP take well under a second on a working
// network, so 2.5 s rarely races a path that was about to open (a TURN allocation may: the race
// then costs one switch), and data still moves within 5 s of the link opening when no UDP gets
// through.
constexpr double kRaceRelayAfterMs = 2500;
// ICE "disconnected" or "failed" this long on a live channel: A restarts ICE, at most this
// often.
constexpr double kIceRestartAfterMs = 3000;
constexpr double kIceRestartEveryMs = 8000;
// No recovery this long after ICE went bad: a new RTCPeerConnection.
constexpr double kFreshPeerAfterMs = 20000;
// A channel that keeps closing is not reconnected more often than this.
constexpr double kMinAttemptGapMs = 2000;

// How the frames currently travel.
enum class Transport : uint8_t { kNone, kDirect, kServer };

// The path the frames take, for the person to see.
enum class PathKind : uint8_t { kNone, kDirect, kDirectNat, kTurn, kServer };
// "", "direct", "direct through NAT", "relayed by TURN", "relayed by server".
const char* to_string(PathKind path);

class PeerLink {
 public:
  enum class State { kIdle, kConnecting, kIceFailed, kRacing, kDirect, kInterrupted, kRelayed };

  // What the link needs of the session, handed to each call.
  class Host : public CommandSink {
   public:
    // Seals a message to the other device and sends it through the server.
    virtual void send_signal(const protocol::PeerSignal& message) = 0;
    virtual void log(std::string text) = 0;
    // The server is open and the other device is on it: signals can reach it.
    virtual bool can_signal() const = 0;
    // The other device is on the server (whether or not ours is open).
    virtual bool peer_present() const = 0;
    // The data path opened (transport() and path() tell which), or closed. It opens again
    // while open when it moves (from the relay to a DataChannel that opened during a race).
    virtual void on_link_opened(size_t max_message_size) = 0;
    virtual void on_link_closed() = 0;
    virtual void on_path_changed() = 0;
    // A: no direct path and no relay: the session ends.
    virtual void on_link_failed(Error error) = 0;

   protected:
    ~Host() = default;
  };

  explicit PeerLink(bool creator = false) : creator_(creator) {}

  // What the server offers with each room it puts us in: ICE servers and its relay (0: none).
  void set_server_offer(std::string ice_servers_json, int64_t relay_rate);

  // A: a new connection attempt (a new RTCPeerConnection, or the relay once direct failed).
  void start_attempt(double now_ms, Host& host);
  // The timers: a dead path closes; with `drive` (A, the keys hold and signals reach B), A's
  // attempts time out, fall back to the relay, restart ICE or start afresh.
  void tick(double now_ms, bool drive, Host& host);
  // New keys: whatever path there was belongs to the old ones.
  void reset(Host& host);
  // The server's socket (and with it the relay) or the other device left it.
  void on_relay_lost(Host& host);
  // The session left.
  void close(Host& host);
  // The network changed (want_restart), then, once the server took us back, restarts ICE (A) or
  // asks A to (B).
  void want_restart(bool wanted) { restart_wanted_ = wanted; }
  void on_rejoined(double now_ms, Host& host);

  void on_signal(const protocol::PeerSignal& message, double now_ms, Host& host);
  void on_local_description(std::string_view json, Host& host);
  void on_local_candidate(std::string_view json, Host& host);
  void on_peer_state(std::string_view state, double now_ms, Host& host);
  void on_path(std::string_view path, Host& host);
  void on_channel_open(size_t remote_max_message_size, Host& host);
  void on_channel_closed(Host& host);

  State state() const { return state_; }
  bool open() const {
    return state_ == State::kDirect || state_ == State::kInterrupted || state_ == State::kRelayed ||
           state_ == State::kRacing;
  }
  Transport transport() const;
  PathKind path() const { return path_; }
  uint64_t peer_gen() const { return peer_gen_; }
  bool restart_pending() const { return restart_pending_; }
  bool use_relay() const { return use_relay_; }

 private:
  // Every change of state, and what opening or closing the data path does.
  void enter(State next, Host& host, size_t max_message_size = 0);
  void open_path(State next, size_t max_message_size, Host& host);
  void relay(bool tell_peer, Host& host);
  void race(Host& host);
  void restart_ice(const char* why, double now_ms, Host& host);
  void on_offer(const protocol::peer::Offer& m, Host& host);

  bool creator_;
  State state_ = State::kIdle;
  PathKind path_ = PathKind::kNone;
  std::string ice_servers_json_ = "[]";
  int64_t relay_rate_ = 0;  // the server's data relay, bytes per second (0: none)
  bool use_relay_ = false;  // the direct path failed once: reconnect through the relay
  bool ever_connected_ = false;
  // A's connection attempts.
  double attempt_started_ms_ = -1;  // the current attempt's start (< 0: none)
  double next_attempt_ms_ = -1;     // attempts are at least kMinAttemptGapMs apart
  bool offer_is_restart_ = false;   // the next local offer is an ICE restart (not "fresh")
  bool restart_pending_ = false;    // an ICE restart offer awaits its answer
  bool restart_wanted_ = false;     // the network changed: restart ICE once rejoined
  uint64_t peer_gen_ = 0;           // the current connection attempt (A counts, B follows)
  double ice_bad_since_ms_ = -1;    // kInterrupted since
  double last_ice_restart_ms_ = -1e18;
};

const char* to_string(PeerLink::State state);

}  // namespace ferry::app
