// The link between the two devices. See peer_link.h for the states.
#include "app/peer_link.h"

#include <type_traits>
#include <utility>
#include <variant>

#include "protocol/signal.h"

namespace ferry::app {

const char* to_string(PathKind path) {
  switch (path) {
    case PathKind::kNone:
      return "";
    case PathKind::kDirect:
      return "direct";
    case PathKind::kDirectNat:
      return "direct through NAT";
    case PathKind::kTurn:
      return "relayed by TURN";
    case PathKind::kServer:
      return "relayed by server";
  }
  return "";
}

const char* to_string(PeerLink::State state) {
  switch (state) {
    case PeerLink::State::kIdle:
      return "idle";
    case PeerLink::State::kConnecting:
      return "connecting";
    case PeerLink::State::kIceFailed:
      return "ice_failed";
    case PeerLink::State::kRacing:
      return "racing";
    case PeerLink::State::kDirect:
      return "direct";
    case PeerLink::State::kInterrupted:
      return "interrupted";
    case PeerLink::State::kRelayed:
      return "relayed";
  }
  return "idle";
}

void PeerLink::set_server_offer(std::string ice_servers_json, int64_t relay_rate) {
  ice_servers_json_ = std::move(ice_servers_json);
  relay_rate_ = relay_rate;
}

Transport PeerLink::transport() const {
  switch (state_) {
    case State::kDirect:
    case State::kInterrupted:
      return Transport::kDirect;
    case State::kRelayed:
    case State::kRacing:
      return Transport::kServer;
    default:
      return Transport::kNone;
  }
}

void PeerLink::enter(State next, Host& host, size_t max_message_size) {
  const bool was_open = open();
  const Transport was = transport();
  state_ = next;
  if (was_open && !open()) {
    path_ = PathKind::kNone;
    host.on_link_closed();
  } else if (open() && (!was_open || transport() != was)) {
    // Opened, or moved (a race's relay to the DataChannel): the data plane reconnects on it.
    ever_connected_ = true;
    ice_bad_since_ms_ = -1;
    path_ = transport() == Transport::kServer ? PathKind::kServer : PathKind::kNone;  // on_path() tells
    host.on_link_opened(max_message_size);
  }
}

void PeerLink::open_path(State next, size_t max_message_size, Host& host) {
  if (open()) enter(State::kIdle, host);  // the old path closes first
  enter(next, host, max_message_size);
}

void PeerLink::start_attempt(double now_ms, Host& host) {
  attempt_started_ms_ = now_ms;
  next_attempt_ms_ = now_ms + kMinAttemptGapMs;
  if (use_relay_ && relay_rate_ > 0) {
    relay(/*tell_peer=*/true, host);
    return;
  }
  enter(State::kConnecting, host);
  ice_bad_since_ms_ = -1;
  offer_is_restart_ = false;
  restart_pending_ = false;
  ++peer_gen_;
  host.emit(cmd::ClosePeer{});
  host.emit(cmd::CreatePeer{ice_servers_json_, true});
  host.emit(cmd::CreateOffer{false});
}

// A (tell_peer: sends the sealed "relay"), or B following it: frames go through the server, and
// the direct attempt is over.
void PeerLink::relay(bool tell_peer, Host& host) {
  if (!use_relay_) host.log("No direct connection is possible: relaying the encrypted data through the server");
  use_relay_ = true;
  host.emit(cmd::ClosePeer{});
  if (tell_peer) host.send_signal(protocol::PeerSignal{protocol::peer::Relay{}});
  if (state_ == State::kRacing) {
    enter(State::kRelayed, host);  // the frames already go through the server: the path stays
    host.on_path_changed();        // no longer "while a direct connection is tried"
  } else {
    open_path(State::kRelayed, protocol::kMaxRelayFrameBytes, host);
  }
}

// A (sends the sealed "race" of its attempt), or B following it: frames go through the server
// while the direct attempt goes on; the path moves to the DataChannel if it opens.
void PeerLink::race(Host& host) {
  host.log("Sending through the server while a direct connection is tried");
  if (creator_) host.send_signal(protocol::PeerSignal{protocol::peer::Race{peer_gen_}});
  open_path(State::kRacing, protocol::kMaxRelayFrameBytes, host);
}

void PeerLink::tick(double now_ms, bool drive, Host& host) {
  if (state_ == State::kInterrupted && !host.peer_present() && now_ms - ice_bad_since_ms_ > kIceRestartAfterMs) {
    // The other device left the server and the direct path is dead too: it is gone (a closed
    // tab, a killed browser). Stop showing transfers as moving; it may still come back.
    host.log("The connection to the other device is gone");
    enter(attempt_started_ms_ >= 0 ? State::kConnecting : State::kIdle, host);
  }
  if (!drive) return;
  switch (state_) {
    case State::kDirect:
    case State::kRelayed:
      return;
    case State::kInterrupted: {
      const double bad_for = now_ms - ice_bad_since_ms_;
      if (bad_for > kFreshPeerAfterMs) {
        host.log("The connection did not recover: connecting again");
        start_attempt(now_ms, host);
      } else if (bad_for > kIceRestartAfterMs && now_ms - last_ice_restart_ms_ > kIceRestartEveryMs) {
        restart_ice("the connection was interrupted", now_ms, host);
      }
      return;
    }
    case State::kIdle:
      if (now_ms >= next_attempt_ms_) start_attempt(now_ms, host);
      return;
    case State::kRacing:
      if (now_ms - attempt_started_ms_ > kDirectTimeoutMs) relay(/*tell_peer=*/true, host);
      return;
    case State::kConnecting:
    case State::kIceFailed: {
      const double waited = now_ms - attempt_started_ms_;
      const bool timed_out = waited > kDirectTimeoutMs;
      const bool failed = state_ == State::kIceFailed;
      if (!failed && !timed_out) {
        if (relay_rate_ > 0 && waited >= kRaceRelayAfterMs) race(host);
        return;
      }
      if (relay_rate_ > 0) {
        relay(/*tell_peer=*/true, host);
      } else if (!ever_connected_ && failed) {
        host.on_link_failed(make_error("connect_failed", "Could not connect the two devices. A firewall may be blocking it."));
        host.emit(cmd::ClosePeer{});
      } else if (timed_out) {
        start_attempt(now_ms, host);  // keep trying: the network may come back
      }
      return;
    }
  }
}

// A: an ICE restart on the live connection (a sealed offer that is not "fresh").
void PeerLink::restart_ice(const char* why, double now_ms, Host& host) {
  // One restart at a time: a second offer before the first answer would cross it.
  if (restart_pending_ || !host.can_signal() || transport() != Transport::kDirect) return;
  last_ice_restart_ms_ = now_ms;
  offer_is_restart_ = true;
  restart_pending_ = true;
  host.log(std::string("Restarting ICE to find a new path (") + why + ")");
  host.emit(cmd::CreateOffer{true});
}

void PeerLink::reset(Host& host) {
  enter(State::kIdle, host);
  host.emit(cmd::ClosePeer{});
  attempt_started_ms_ = -1;
}

void PeerLink::on_relay_lost(Host& host) {
  if (state_ == State::kRacing) {
    enter(State::kConnecting, host);  // the direct attempt goes on, and A's clock with it
    return;
  }
  if (state_ != State::kRelayed) return;
  enter(State::kIdle, host);
  attempt_started_ms_ = -1;
}

void PeerLink::close(Host& host) {
  enter(State::kIdle, host);
  attempt_started_ms_ = -1;
}

// After a network change: A restarts ICE; B asks A to (A drives every restart).
void PeerLink::on_rejoined(double now_ms, Host& host) {
  if (!std::exchange(restart_wanted_, false)) return;
  if (transport() != Transport::kDirect || !host.can_signal()) return;
  if (creator_) {
    restart_ice("the network changed", now_ms, host);
  } else {
    host.send_signal(protocol::PeerSignal{protocol::peer::Restart{}});
  }
}

void PeerLink::on_signal(const protocol::PeerSignal& message, double now_ms, Host& host) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::peer::Offer>) {
          on_offer(m, host);
        } else if constexpr (std::is_same_v<T, protocol::peer::Answer>) {
          if (!creator_) {
            host.log("Ignored an answer in the wrong direction");
            return;
          }
          if (m.gen != peer_gen_) return;  // the answer to an earlier attempt's offer
          restart_pending_ = false;
          host.emit(cmd::SetRemoteDescription{protocol::serialize(protocol::SessionDescription{"answer", m.sdp})});
        } else if constexpr (std::is_same_v<T, protocol::peer::Ice>) {
          if (m.gen != peer_gen_) return;
          host.emit(cmd::AddIceCandidate{m.candidate ? protocol::serialize(*m.candidate) : std::string()});
        } else if constexpr (std::is_same_v<T, protocol::peer::Restart>) {
          if (creator_) restart_ice("the other device's network changed", now_ms, host);
        } else if constexpr (std::is_same_v<T, protocol::peer::Relay>) {
          if (creator_ && state_ == State::kRelayed) {
            // B was not taking frames from the relay when A's "relay" came (it had moved to a
            // DataChannel that A gave up, or never followed A's race), so it dropped what A
            // sent there: A's senders resume from B's HAVE.
            host.log("The other device joined the server's relay: resuming from what it has");
            open_path(State::kRelayed, protocol::kMaxRelayFrameBytes, host);
            return;
          }
          if (creator_ || relay_rate_ <= 0) {
            host.log("Ignored a relay request");
            return;
          }
          const bool took_relay_frames = transport() == Transport::kServer;
          relay(/*tell_peer=*/false, host);
          if (!took_relay_frames) host.send_signal(protocol::PeerSignal{protocol::peer::Relay{}});
        } else if constexpr (std::is_same_v<T, protocol::peer::Race>) {
          if (creator_ || relay_rate_ <= 0) {
            host.log("Ignored a relay request");
            return;
          }
          // Only while this attempt is still connecting: once its channel opened here the
          // direct path won already (A's channel opens too), and an earlier attempt's is stale.
          if (m.gen == peer_gen_ && (state_ == State::kConnecting || state_ == State::kIceFailed)) race(host);
        }
      },
      message);
}

// B: a "fresh" offer comes from a new RTCPeerConnection: it is answered from a new one too. Any
// other offer is an ICE restart on the connection we have.
void PeerLink::on_offer(const protocol::peer::Offer& m, Host& host) {
  if (creator_) {
    host.log("Ignored an offer in the wrong direction");
    return;
  }
  if (m.fresh) {
    if (m.gen <= peer_gen_ && peer_gen_ != 0) return;  // an older attempt's offer
    peer_gen_ = m.gen;
    enter(State::kConnecting, host);
    host.emit(cmd::ClosePeer{});
  } else if (m.gen != peer_gen_) {
    return;  // an ICE restart of a connection we no longer have
  }
  host.emit(cmd::CreatePeer{ice_servers_json_, false});
  host.emit(cmd::SetRemoteDescription{protocol::serialize(protocol::SessionDescription{"offer", m.sdp})});
}

void PeerLink::on_local_description(std::string_view json, Host& host) {
  auto d = protocol::parse_session_description(json);
  if (!d) {
    host.log("The browser produced a session description this client cannot send (" + d.error().code + ")");
    return;
  }
  if (d->type == "offer") {
    host.send_signal(protocol::PeerSignal{protocol::peer::Offer{d->sdp, peer_gen_, !offer_is_restart_}});
  } else {
    host.send_signal(protocol::PeerSignal{protocol::peer::Answer{d->sdp, peer_gen_}});
  }
}

void PeerLink::on_local_candidate(std::string_view json, Host& host) {
  if (json.empty()) {
    host.send_signal(protocol::PeerSignal{protocol::peer::Ice{std::nullopt, peer_gen_}});
    return;
  }
  auto c = protocol::parse_ice_candidate(json);
  if (!c) return;
  host.send_signal(protocol::PeerSignal{protocol::peer::Ice{std::move(c).value(), peer_gen_}});
}

void PeerLink::on_peer_state(std::string_view state, double now_ms, Host& host) {
  const bool bad = state == "disconnected" || state == "failed";
  if (state_ == State::kDirect && bad) {
    ice_bad_since_ms_ = now_ms;
    enter(State::kInterrupted, host);
  } else if (state_ == State::kInterrupted && !bad) {
    ice_bad_since_ms_ = -1;
    enter(State::kDirect, host);
  }
  if (state == "connected") {
    host.emit(cmd::QueryPath{});
  } else if (state == "failed") {
    host.log("The direct connection failed");
    if (state_ == State::kConnecting) enter(State::kIceFailed, host);  // tick() falls back or retries
    // A racing: the relay it already sends through is all there is. (B waits for A's "relay".)
    if (state_ == State::kRacing && creator_ && host.can_signal()) relay(/*tell_peer=*/true, host);
  } else if (state == "disconnected") {
    host.log("The connection to the other device was interrupted");
  }
}

void PeerLink::on_path(std::string_view path, Host& host) {
  if (transport() != Transport::kDirect) return;
  // The glue reports the selected candidate pair: "relay" if either end is a TURN relay,
  // "srflx" if either end was seen through a NAT (STUN), else "host".
  const PathKind next = path == "relay" ? PathKind::kTurn : path == "srflx" ? PathKind::kDirectNat : PathKind::kDirect;
  if (next == path_) return;
  path_ = next;
  host.log(std::string("Connection path: ") + to_string(path_));
  host.on_path_changed();
}

void PeerLink::on_channel_open(size_t remote_max_message_size, Host& host) {
  if (state_ == State::kRacing) {
    // The race is won: the frames move to the DataChannel without closing the data path.
    host.log("Switched to a direct connection");
    enter(State::kDirect, host, remote_max_message_size);
    host.emit(cmd::QueryPath{});  // the path of the pair ICE chose while the relay carried the data
    return;
  }
  open_path(State::kDirect, remote_max_message_size, host);
}

void PeerLink::on_channel_closed(Host& host) {
  if (transport() != Transport::kDirect) return;
  enter(State::kIdle, host);
  attempt_started_ms_ = -1;  // A connects again at once
}

}  // namespace ferry::app
