// Lanes: CHUNK frames striped across several RTCPeerConnections when the direct path is far.
// One SCTP association over a lossy long path is loss-bound (0.4 MB/s at 50 ms, 0.12 MB/s at
// 150 ms with 0.5 % loss, bench/wan), while four connections of one DataChannel each moved
// 3.4-4.8x one; four DataChannels on one connection moved no more than one. So once the
// primary connection (app/peer_link.h, lane 0) is open on a direct path and its round trip is
// long, A negotiates lanes 1 .. kMaxLanes - 1 through sealed signals (lane_offer, lane_answer,
// lane_ice: protocol/peer_signal.h); B follows. Each side then sends every CHUNK on the open
// lane whose send queue holds least (pick_lane); CONTROL frames stay on the primary. Plain
// logic: the session hands in the browser's events and the time; the lanes issue commands
// (CreatePeer, ... with their lane number) and sealed signals through the Host.
//
//   kOff --primary open on a direct path (A, lanes wanted)--> kMeasuring
//     |                                                          |
//     |   the round trip (getStats) >= kStripeMinRttMs on a      +--> kStriping: A offers
//     |   direct or NAT path (never TURN, never the server relay)     lanes 1 .. wanted - 1
//     |                                                          |
//     |   shorter on a direct or NAT path, or lanes not wanted --+--> kSingle (this connection)
//     |   a TURN pair: no decision yet (stays kMeasuring). ICE often nominates the TURN pair
//     |   first on a busy machine and moves to the direct pair seconds later (e2e.wan_matrix);
//     |   the next reading (web/client.h kPathQueryMs) decides on the pair in use then.
//     +--B: A's lane_offer of the current attempt, off the relay-----> kStriping
//   every state --reset(): the primary closed, new keys, the session ended--> kOff (all closed)
//
// Each lane: kNone --A opens it / B: A's lane_offer--> kConnecting --its channel opens--> kOpen
//   kConnecting --kLaneOpenTimeoutMs, or ICE failed--> kClosed (never used: nothing lost)
//   kOpen --its channel closed, or ICE failed--> kClosed, and Host::on_lane_lost(): the chunks
//       in flight on it are gone and no HAVE would ask for them, so the session reconnects the
//       data path (a new primary attempt; each sender resumes from the receiver's HAVE map, as
//       after any drop). Closing the other lanes first keeps frames of the old epoch from
//       arriving after the new MANIFEST.
//
// A lane that failed is not tried again on this primary connection. Messages of another
// attempt (gen) are ignored; B builds at most kMaxLanes - 1 lanes per attempt (the parser
// refuses other lane numbers, and a lane is offered once).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "protocol/peer_signal.h"
#include "transfer/flow_control.h"

namespace ferry::app {

// Lanes A asks for, the primary included: protocol::kMaxLanes (raw DataChannels over 4
// connections moved 3.4-4.8x one at 50-150 ms RTT with 0.5 % loss, bench/wan). 1 turns
// striping off (the page's ?lanes=1).
constexpr uint32_t kDefaultLanes = protocol::kMaxLanes;
// Striping starts only when the primary's round trip is at least this long, in ms. On a LAN
// (well under 1 ms here) one association is CPU-bound, not loss-bound (bench/throughput), and
// each extra connection costs both browsers CPU; a 2026 report saw 4 connections clearly beat
// one from 20 ms on, where loss recovery and slow start start to cost a single association.
constexpr double kStripeMinRttMs = 20;
// A lane whose channel has not opened this long after it was offered (ms) is given up: ICE,
// DTLS and SCTP take a few round trips (well under a second at 150 ms); a peer that does not
// speak lanes never answers.
constexpr double kLaneOpenTimeoutMs = 10000;

// While lanes carry the data (or are about to), each holds at most 1/kLaneQueueScale of what a
// lone channel may (transfer/flow_control.h: stop at 8 MiB, restart at 2 MiB): the senders see
// the least-queued lane's bufferedAmount times this, so each lane queues 1 MiB at most and is
// refilled below 256 KiB (its bufferedamountlow threshold, kLaneLowWatermarkBytes). Without
// it the primary alone takes the whole receive window before the lanes open (at 150 ms and
// 0.5 % loss one association drains 8 MiB in over a minute), and a slow lane hoards chunks
// the others could carry. 1 MiB still covers a lane's round trip at 150 ms up to ~7 MB/s.
constexpr uint64_t kLaneQueueScale = 8;
constexpr uint64_t kLaneLowWatermarkBytes = transfer::kLowWatermarkBytes / kLaneQueueScale;

// The lane for the next CHUNK: the least `buffered` entry (bytes queued on that lane), the
// lowest number on a tie; kNotALane marks lanes that cannot send. Returns 0 if none can.
constexpr uint64_t kNotALane = UINT64_MAX;
uint32_t pick_lane(std::span<const uint64_t> buffered);

class Lanes {
 public:
  enum class State : uint8_t { kOff, kMeasuring, kSingle, kStriping };
  enum class LaneState : uint8_t { kNone, kConnecting, kOpen, kClosed };

  // (Not a CommandSink itself: the session is one already, through PeerLink::Host.)
  class Host {
   public:
    virtual void emit(Command c) = 0;
    virtual void send_signal(const protocol::PeerSignal& message) = 0;
    virtual void log(std::string text) = 0;
    // An open lane closed: chunks in flight on it are lost (see the header comment).
    virtual void on_lane_lost() = 0;

   protected:
    ~Host() = default;
  };

  // `wanted`: A's lane count, the primary included (1 .. protocol::kMaxLanes).
  explicit Lanes(bool creator = false, uint32_t wanted = kDefaultLanes);

  void set_ice_servers(std::string json) { ice_servers_json_ = std::move(json); }
  // The primary opened on a direct path, for attempt `gen`: A measures its round trip next.
  void on_primary_open(uint64_t gen);
  // The primary's round trip from getStats (A decides once per primary connection, on the
  // first reading of a direct pair). `direct_path`: direct or through NAT (not TURN, not the
  // server's relay); a reading of any other pair decides nothing.
  void on_round_trip(double rtt_ms, bool direct_path, double now_ms, Host& host);
  void tick(double now_ms, Host& host);
  // Every lane closes (the primary closed, new keys, the session ended).
  void reset(Host& host);

  // A sealed lane message. `current_gen`: the primary's attempt; `may_follow`: B is not on
  // the server's relay.
  void on_signal(const protocol::PeerSignal& message, uint64_t current_gen, bool may_follow,
                 double now_ms, Host& host);
  void on_local_description(uint32_t lane, std::string_view json, Host& host);
  void on_local_candidate(uint32_t lane, std::string_view json, Host& host);
  void on_peer_state(uint32_t lane, std::string_view state, Host& host);
  void on_channel_open(uint32_t lane, Host& host);
  void on_channel_closed(uint32_t lane, Host& host);

  State state() const { return state_; }
  LaneState lane(uint32_t lane) const {
    return lane < lanes_.size() ? lanes_[lane].state : LaneState::kNone;
  }
  // Whether CHUNK frames may go on this extra lane (1 .. kMaxLanes - 1).
  bool usable(uint32_t lane) const {
    return state_ == State::kStriping && this->lane(lane) == LaneState::kOpen;
  }
  // Connections carrying CHUNK frames now: the primary and the open lanes (1 when not striping).
  uint32_t carrying() const;
  // Lanes carry the data or are about to: queues are kept short (kLaneQueueScale).
  bool short_queues() const;

 private:
  struct Lane {
    LaneState state = LaneState::kNone;
    double since_ms = 0;  // offered (kConnecting)
  };
  bool known(uint32_t lane) const { return lane > 0 && lane < lanes_.size(); }
  void open_lane(uint32_t lane, double now_ms, Host& host);
  void close_lane(uint32_t lane, const char* why, Host& host);
  void on_offer(const protocol::peer::LaneOffer& m, double now_ms, Host& host);

  bool creator_;
  uint32_t wanted_;
  State state_ = State::kOff;
  uint64_t gen_ = 0;  // the primary attempt the lanes belong to
  std::string ice_servers_json_ = "[]";
  std::array<Lane, protocol::kMaxLanes> lanes_{};  // [0]: the primary (PeerLink's), unused
};

const char* to_string(Lanes::State state);

}  // namespace ferry::app
