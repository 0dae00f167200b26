// Striping CHUNK frames across extra RTCPeerConnections: see lanes.h.
#include "app/lanes.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <variant>

namespace ferry::app {

namespace peer = protocol::peer;

uint32_t pick_lane(std::span<const uint64_t> buffered) {
  uint32_t best = 0;
  uint64_t least = kNotALane;
  for (uint32_t i = 0; i < buffered.size(); ++i) {
    if (buffered[i] < least) {
      least = buffered[i];
      best = i;
    }
  }
  return best;
}

const char* to_string(Lanes::State state) {
  switch (state) {
    case Lanes::State::kOff:
      return "off";
    case Lanes::State::kMeasuring:
      return "measuring";
    case Lanes::State::kSingle:
      return "single";
    case Lanes::State::kStriping:
      return "striping";
  }
  return "?";
}

Lanes::Lanes(bool creator, uint32_t wanted)
    : creator_(creator), wanted_(std::clamp<uint32_t>(wanted, 1, protocol::kMaxLanes)) {}

void Lanes::on_primary_open(uint64_t gen) {
  if (!creator_ || state_ != State::kOff) return;
  gen_ = gen;
  state_ = wanted_ > 1 ? State::kMeasuring : State::kSingle;
}

void Lanes::on_round_trip(double rtt_ms, bool direct_path, double now_ms, Host& host) {
  if (!creator_ || state_ != State::kMeasuring || !std::isfinite(rtt_ms) || rtt_ms < 0) return;
  if (!direct_path) return;  // a TURN pair now; ICE may still move to a direct one
  if (rtt_ms < kStripeMinRttMs) {
    state_ = State::kSingle;
    return;
  }
  state_ = State::kStriping;
  host.log("The other device is " + std::to_string(static_cast<int>(std::lround(rtt_ms))) +
           " ms away: opening " + std::to_string(wanted_ - 1) + " more connections for the data");
  for (uint32_t lane = 1; lane < wanted_; ++lane) open_lane(lane, now_ms, host);
}

void Lanes::open_lane(uint32_t lane, double now_ms, Host& host) {
  lanes_[lane] = Lane{LaneState::kConnecting, now_ms};
  host.emit(cmd::CreatePeer{ice_servers_json_, creator_, lane});
  if (creator_) host.emit(cmd::CreateOffer{false, lane});
}

void Lanes::close_lane(uint32_t lane, const char* why, Host& host) {
  const LaneState was = lanes_[lane].state;
  if (was == LaneState::kNone || was == LaneState::kClosed) return;
  lanes_[lane].state = LaneState::kClosed;
  host.emit(cmd::ClosePeer{lane});
  host.log("Connection " + std::to_string(lane + 1) + " for the data " + why);
  if (was == LaneState::kOpen) host.on_lane_lost();
}

void Lanes::tick(double now_ms, Host& host) {
  for (uint32_t lane = 1; lane < lanes_.size(); ++lane) {
    if (lanes_[lane].state == LaneState::kConnecting &&
        now_ms - lanes_[lane].since_ms >= kLaneOpenTimeoutMs) {
      close_lane(lane, "did not open", host);
    }
  }
}

void Lanes::reset(Host& host) {
  for (uint32_t lane = 1; lane < lanes_.size(); ++lane) {
    if (lanes_[lane].state == LaneState::kConnecting || lanes_[lane].state == LaneState::kOpen) {
      host.emit(cmd::ClosePeer{lane});
    }
    lanes_[lane] = Lane{};
  }
  state_ = State::kOff;
}

void Lanes::on_signal(const protocol::PeerSignal& message, uint64_t current_gen, bool may_follow,
                      double now_ms, Host& host) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, peer::LaneOffer>) {
          if (creator_ || !may_follow || m.gen != current_gen) return;  // only A offers lanes
          on_offer(m, now_ms, host);
        } else if constexpr (std::is_same_v<T, peer::LaneAnswer>) {
          if (!creator_ || m.gen != gen_ || !known(m.lane) ||
              lanes_[m.lane].state != LaneState::kConnecting)
            return;
          host.emit(cmd::SetRemoteDescription{
              protocol::serialize(protocol::SessionDescription{"answer", m.sdp}), m.lane});
        } else if constexpr (std::is_same_v<T, peer::LaneIce>) {
          if (m.gen != gen_ || !known(m.lane)) return;
          const LaneState s = lanes_[m.lane].state;
          if (s != LaneState::kConnecting && s != LaneState::kOpen) return;
          host.emit(cmd::AddIceCandidate{
              m.candidate ? protocol::serialize(*m.candidate) : std::string(), m.lane});
        }
      },
      message);
}

void Lanes::on_offer(const peer::LaneOffer& m, double now_ms, Host& host) {
  if (!known(m.lane)) return;
  if (state_ != State::kOff && m.gen != gen_) reset(host);  // lanes of an earlier attempt
  gen_ = m.gen;
  // Each lane is offered once per attempt: a second offer (a buggy or hostile peer) builds
  // nothing more.
  if (lanes_[m.lane].state != LaneState::kNone) return;
  state_ = State::kStriping;
  open_lane(m.lane, now_ms, host);
  host.emit(cmd::SetRemoteDescription{
      protocol::serialize(protocol::SessionDescription{"offer", m.sdp}), m.lane});
}

void Lanes::on_local_description(uint32_t lane, std::string_view json, Host& host) {
  if (!known(lane) || lanes_[lane].state != LaneState::kConnecting) return;
  auto d = protocol::parse_session_description(json);
  if (!d) {
    host.log("The browser produced a session description this client cannot send (" +
             d.error().code + ")");
    return;
  }
  if (creator_ && d->type == "offer") {
    host.send_signal(protocol::PeerSignal{peer::LaneOffer{lane, d->sdp, gen_}});
  } else if (!creator_ && d->type == "answer") {
    host.send_signal(protocol::PeerSignal{peer::LaneAnswer{lane, d->sdp, gen_}});
  }
}

void Lanes::on_local_candidate(uint32_t lane, std::string_view json, Host& host) {
  if (!known(lane)) return;
  const LaneState s = lanes_[lane].state;
  if (s != LaneState::kConnecting && s != LaneState::kOpen) return;
  if (json.empty()) {
    host.send_signal(protocol::PeerSignal{peer::LaneIce{lane, std::nullopt, gen_}});
    return;
  }
  auto c = protocol::parse_ice_candidate(json);
  if (!c) return;
  host.send_signal(protocol::PeerSignal{peer::LaneIce{lane, std::move(c).value(), gen_}});
}

void Lanes::on_peer_state(uint32_t lane, std::string_view state, Host& host) {
  if (!known(lane)) return;
  // "disconnected" may recover (ICE consent); "failed" and "closed" do not.
  if (state == "failed" || state == "closed") close_lane(lane, "failed", host);
}

void Lanes::on_channel_open(uint32_t lane, Host& host) {
  if (!known(lane) || lanes_[lane].state != LaneState::kConnecting) return;
  lanes_[lane].state = LaneState::kOpen;
  host.log("Connection " + std::to_string(lane + 1) + " for the data is open (" +
           std::to_string(carrying()) + " connections carry the data)");
}

void Lanes::on_channel_closed(uint32_t lane, Host& host) {
  if (known(lane)) close_lane(lane, "closed", host);
}

bool Lanes::short_queues() const {
  if (state_ != State::kStriping) return false;
  for (uint32_t lane = 1; lane < lanes_.size(); ++lane) {
    if (lanes_[lane].state == LaneState::kConnecting || lanes_[lane].state == LaneState::kOpen)
      return true;
  }
  return false;
}

uint32_t Lanes::carrying() const {
  uint32_t n = 1;
  if (state_ != State::kStriping) return n;
  for (uint32_t lane = 1; lane < lanes_.size(); ++lane) n += lanes_[lane].state == LaneState::kOpen;
  return n;
}

}  // namespace ferry::app
