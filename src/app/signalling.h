// The connection to ferry-server, as the client sees it: opening the WebSocket, the first
// message on it (create or join), and after a drop, reopening it with back-off and taking the
// seat back with the resume token. Plain logic: the session hands in the socket's events and the
// time; the commands (OpenServer, SendServer, CloseServer) go to the CommandSink it passes.
//
//   kIdle --start()--> kOpening --on_open()--> kOpen  (sends the pending join, or a Rejoin)
//                        ^  |                    |
//                        |  +----closed----------+--- a drop, with a seat to take back ----+
//                        |                       |                                        v
//                        +--- reconnect_now() ---+          kOpening <--retry time-- kBackingOff
//                        +--- (network change)                                  (1 s, 2 s, 4 s,
//                                                                               8 s, 8 s, ...)
//   closed with the server's reason (a 4000+ close code) or the seat refused --> kGivenUp
//   kBackingOff for kServerGiveUpMs while no data flows                     --> kGivenUp
//   closed before a seat could be taken back (no resume token yet)          --> kIdle
//   close() from anywhere                                                   --> kIdle
//
// kGivenUp is final: nothing reopens the socket, so a server that forgot us is not asked again
// and again. The session decides what each ending means for it (a transfer on a direct channel
// goes on without the server; anything else ends).
#pragma once

#include <optional>
#include <string>

#include "app/commands.h"
#include "protocol/signal.h"

namespace ferry::app {

// Signalling reconnects back off from kServerRetryFirstMs, doubling, to kServerRetryMaxMs, in
// ms; after kServerGiveUpMs without the server (its grace period for a resume token is 60 s),
// the session ends unless data still flows directly.
constexpr double kServerRetryFirstMs = 1000;
constexpr double kServerRetryMaxMs = 8000;
constexpr double kServerGiveUpMs = 90000;

// ferry-server's close codes (server/close_codes.h), in words a person can act on; "" when the
// code needs no words of its own (a drop, worth reconnecting after).
std::string close_code_words(int code);

class Signalling {
 public:
  enum class State { kIdle, kOpening, kOpen, kBackingOff, kGivenUp };
  // What an event means for the session.
  enum class Event {
    kNone,
    kReconnecting,  // a drop: the socket reopens after a back-off
    kEnded,         // closed for good: the server's reason, or it refused our seat
    kNoSeat,        // closed before there was a seat to take back: nothing to reconnect to
    kLost,          // kServerGiveUpMs without the server and no data flowing: given up
  };

  // Opens the socket; `first` is sent once it is open (create, join, or rejoin after a reload).
  void start(protocol::ClientMessage first, CommandSink& out);
  // The seat the server gave us (it changes on every join): a reopened socket rejoins with it.
  void set_seat(std::string room, std::string resume_token);
  void on_open(CommandSink& out);
  Event on_closed(int code, double now_ms);
  // Reopens the socket at its retry time; kLost (and kGivenUp) when it stayed away too long.
  Event tick(double now_ms, bool data_flows, CommandSink& out);
  // The device's network changed: the old socket may be bound to an address that is gone and
  // would notice only after a long TCP time-out, so a new one opens now (the server replaces the
  // old seat). Only with a seat to take back, and not once given up; returns whether it did.
  bool reconnect_now(CommandSink& out);
  // The server refused our resume token (its grace period ran out, or it restarted).
  void seat_refused();
  // The session left: the socket is closed and nothing reopens it.
  void close(CommandSink& out);
  // The session ended (or the socket closed after it did): nothing reopens the socket.
  void stop();

  State state() const { return state_; }
  bool open() const { return state_ == State::kOpen; }
  bool has_seat() const { return !room_.empty() && !resume_token_.empty(); }
  const std::string& resume_token() const { return resume_token_; }
  int failures() const { return failures_; }
  double retry_at_ms() const { return retry_at_ms_; }  // < 0: no retry planned

 private:
  // Every change of state, and what entering a state does.
  void enter(State next, double now_ms, CommandSink* out);

  State state_ = State::kIdle;
  std::optional<protocol::ClientMessage> pending_;  // sent once the socket opens
  std::string room_;
  std::string resume_token_;
  double retry_at_ms_ = -1;
  double lost_since_ms_ = -1;  // the first drop since the socket was last open
  int failures_ = 0;           // drops since then: the back-off grows with them
};

const char* to_string(Signalling::State state);

}  // namespace ferry::app
