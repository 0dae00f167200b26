// The two-peer simulation shared by the app tests: two sessions talk through an in-process
// relay that behaves like ferry-server's rooms, and a loopback "DataChannel". The real
// handshake, sealing, frames and transfer state machines run; only the browser and the network
// are simulated. In its malicious mode the relay can also inject, drop, replay and reorder
// relay messages, as a hostile server could.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "app/session.h"
#include "crypto/blake2b.h"
#include "protocol/frame.h"
#include "protocol/nearby.h"
#include "protocol/signal.h"
#include "session/ids.h"
#include "util/bytes.h"

using namespace ferry;
using namespace ferry::app;

namespace ferry_test {

inline RandomFn counter_rng(uint8_t seed) {
  auto state = std::make_shared<uint64_t>(seed * 0x9E3779B97F4A7C15ull + 1);
  return [state](uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      *state ^= *state << 13;
      *state ^= *state >> 7;
      *state ^= *state << 17;
      out[i] = static_cast<uint8_t>(*state);
    }
  };
}

inline Bytes pseudo_random_file(size_t n, uint8_t seed) {
  Bytes b(n);
  counter_rng(seed)(b.data(), n);
  return b;
}

// One peer: a Session plus its local files and sinks.
struct Peer {
  Session session;
  std::map<int, Bytes> files;                            // handle -> content
  std::map<std::pair<uint32_t, uint32_t>, Bytes> sinks;  // (transfer, file) -> written bytes
  std::map<std::pair<uint32_t, uint32_t>, bool> finished;
  std::map<std::pair<uint32_t, uint32_t>, bool> aborted;
  std::map<std::pair<uint32_t, uint32_t>, std::pair<std::string, bool>> sink_keys;  // key, keep
  std::map<std::pair<uint32_t, uint32_t>, std::string> sink_mimes;  // the declared types
  bool server_open = false;
  bool channel_open = false;
  bool peer_created = false;
  std::map<std::string, Bytes> saved;  // SaveState by key
  int ice_restarts = 0;
  int fresh_peers = 0;
  std::set<uint32_t> lanes_made;  // extra connections (app/lanes.h) ever created
  std::set<uint32_t> lanes_open;  // and open now (frames still go on the one channel)
  uint64_t frame_bytes_sent = 0;
  uint64_t chunk_bytes_sent = 0;  // of CHUNK frames, on either path
  uint32_t rx = 0;  // the id of the first transfer this peer received (ids start at random)

  // The person accepts every offer at once (tests of the accept flow turn it off).
  explicit Peer(uint8_t seed) : session(SessionOptions{"https://ferry.test", counter_rng(seed)}) {
    session.set_accept_all(true);
  }
};

// Routes commands between two peers: a fake ferry-server room and a fake DataChannel.
struct World {
  Peer a{1};
  Peer b{2};
  std::string room = session::RoomId::generate(counter_rng(9)).str();
  std::string token = session::JoinToken::generate(counter_rng(10)).str();
  std::string resume = session::ResumeToken::generate(counter_rng(11)).str();
  std::string nameplate = "7";
  int joins = 0;
  int pake_failures = 0;
  int pake_confirmed = 0;
  int rejects = 0;
  // Malicious-server mode: pake_failed is swallowed (the joiner is not evicted and nothing is
  // counted), so only the creator's own budget limits guesses.
  bool lift_budget = false;
  // Every relay payload on its way to A or B, before tamper_relay / drop_relay see it.
  std::vector<std::string> relayed_to_a, relayed_to_b;
  // Nearby envelopes each side sent to the server.
  std::vector<protocol::NearbyClientMessage> nearby_from_a, nearby_from_b;
  // Return true to drop a relay payload on its way to `to` (a hostile server).
  std::function<bool(Peer& to, const std::string& payload)> drop_relay;
  int64_t relay_rate = 0;   // the server's data relay (0: off)
  bool direct_ok = true;    // false: no DataChannel ever opens (UDP blocked)
  bool lanes_ok = true;     // false: the extra connections of app/lanes.h never open
  bool server_up = true;    // false: OpenServer fails
  double now = 0;
  Bytes relayed;            // every binary frame the server relayed
  // true: relayed frames stay in flight (held) until release_held() delivers them.
  bool hold_relayed = false;
  std::vector<std::pair<Peer*, Bytes>> held;
  // Frames on a DataChannel whose far end has not seen it open yet: a browser delivers them
  // after its "open" event (open_channel), or never if that end closes its peer first.
  std::vector<std::pair<Peer*, Bytes>> unopened;
  // Test hooks: alter a relayed payload, or a frame on the channel.
  std::function<void(std::string& payload)> tamper_relay;
  std::function<void(Bytes& frame)> tamper_frame;

  Peer& other(Peer& p) { return &p == &a ? b : a; }

  void server_receive(Peer& from, const std::string& text) {
    auto m = protocol::parse_client_message(text);
    if (!m) {
      // A nearby envelope (protocol/nearby.h): recorded for the nearby tests.
      auto n = protocol::parse_nearby_client_message(text);
      REQUIRE(n.ok());
      (&from == &a ? nearby_from_a : nearby_from_b).push_back(*n);
      return;
    }
    Peer& to = other(from);
    if (std::holds_alternative<protocol::Create>(*m)) {
      protocol::Created c{room, token, nameplate, 0, resume, {}, relay_rate};
      from.session.on_server_message(protocol::serialize(protocol::ServerMessage{c}));
    } else if (std::holds_alternative<protocol::NewCode>(*m)) {
      nameplate = std::to_string(std::stoi(nameplate) + 1);
      from.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::NewNameplate{nameplate}}));
    } else if (std::holds_alternative<protocol::PakeConfirmed>(*m)) {
      ++pake_confirmed;
    } else if (std::holds_alternative<protocol::RejectPeer>(*m)) {
      ++rejects;
      evict_joiner(from, to, 4012);
    } else if (auto* jn = std::get_if<protocol::JoinByNameplate>(&*m); jn && jn->nameplate != nameplate) {
      protocol::ErrorMessage e{"no_such_nameplate", "no room with this code"};
      from.session.on_server_message(protocol::serialize(protocol::ServerMessage{e}));
    } else if (std::holds_alternative<protocol::JoinByToken>(*m) ||
               std::holds_alternative<protocol::JoinByNameplate>(*m)) {
      ++joins;
      protocol::Joined j{room, resume, 0, false, true, {}, relay_rate};
      from.session.on_server_message(protocol::serialize(protocol::ServerMessage{j}));
      to.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerJoined{}}));
    } else if (auto* r = std::get_if<protocol::Relay>(&*m)) {
      std::string payload = r->payload;
      (&to == &a ? relayed_to_a : relayed_to_b).push_back(payload);
      if (drop_relay && drop_relay(to, payload)) return;
      if (tamper_relay) tamper_relay(payload);
      to.session.on_server_message(
          protocol::serialize(protocol::ServerMessage{protocol::Relayed{payload}}));
    } else if (auto* rj = std::get_if<protocol::Rejoin>(&*m)) {
      REQUIRE(rj->resume == resume);
      protocol::Joined j{room, resume, 0, &from == &a, to.server_open, {}, relay_rate};
      from.session.on_server_message(protocol::serialize(protocol::ServerMessage{j}));
      if (to.server_open) to.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerJoined{}}));
    } else if (std::holds_alternative<protocol::PakeFailed>(*m)) {
      ++pake_failures;
      if (lift_budget) return;
      evict_joiner(from, to, 4009);
    }
  }

  // The server closes the joiner's connection (kPakeFailed, kRejected) and tells the creator.
  void evict_joiner(Peer& creator, Peer& joiner, int close_code) {
    creator.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerLeft{}}));
    if (!joiner.server_open) return;
    joiner.server_open = false;
    joiner.session.on_server_closed(close_code, "");
  }

  // A hostile server (or someone in the joiner's seat) sends a relay payload to `to`.
  void inject(Peer& to, RelayKind kind, ByteView body) {
    Bytes payload{static_cast<uint8_t>(kind)};
    payload.insert(payload.end(), body.begin(), body.end());
    inject_payload(to, to_base64url(payload));
  }
  void inject_payload(Peer& to, const std::string& payload) {
    to.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::Relayed{payload}}));
    run();
  }

  // Carries out one peer's commands; returns whether anything happened.
  bool step(Peer& p) {
    if (p.session.transport() != Transport::kNone) p.session.pump(0);
    auto cmds = p.session.take_commands();
    Peer& q = other(p);
    for (auto& c : cmds) {
      std::visit(
          [&](auto&& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, cmd::OpenServer>) {
              if (!server_up) {
                p.session.on_server_closed(1006, "");
                return;
              }
              p.server_open = true;
              p.session.on_server_open();
            } else if constexpr (std::is_same_v<T, cmd::SendServer>) {
              server_receive(p, m.text);
            } else if constexpr (std::is_same_v<T, cmd::CreatePeer>) {
              if (m.lane > 0) {
                p.lanes_made.insert(m.lane);
                return;
              }
              if (!p.peer_created) ++p.fresh_peers;
              p.peer_created = true;
            } else if constexpr (std::is_same_v<T, cmd::ClosePeer>) {
              if (m.lane > 0) {
                p.lanes_open.erase(m.lane);
                return;
              }
              p.lanes_open.clear();
              p.peer_created = false;
              p.channel_open = false;
              std::erase_if(unopened, [&](const auto& u) { return u.first == &p; });
            } else if constexpr (std::is_same_v<T, cmd::CreateOffer>) {
              if (m.lane > 0) {
                p.session.on_lane_local_description(m.lane, R"({"type":"offer","sdp":"v=0 lane offer"})");
                p.session.on_lane_local_candidate(m.lane, R"({"candidate":"candidate:2 1 udp 1 10.0.0.1 10 typ host","sdpMid":"0"})");
                return;
              }
              if (m.ice_restart) ++p.ice_restarts;
              p.session.on_local_description(R"({"type":"offer","sdp":"v=0 offer"})");
              p.session.on_local_candidate(R"({"candidate":"candidate:1 1 udp 1 10.0.0.1 9 typ host","sdpMid":"0"})");
            } else if constexpr (std::is_same_v<T, cmd::SetRemoteDescription>) {
              if (m.lane > 0) {
                if (m.json.find("\"offer\"") != std::string::npos) {
                  p.session.on_lane_local_description(m.lane, R"({"type":"answer","sdp":"v=0 lane answer"})");
                } else if (lanes_ok && q.lanes_made.count(m.lane)) {
                  p.lanes_open.insert(m.lane);
                  q.lanes_open.insert(m.lane);
                  p.session.on_lane_open(m.lane);
                  q.session.on_lane_open(m.lane);
                }
                return;
              }
              if (m.json.find("\"offer\"") != std::string::npos) {
                p.session.on_local_description(R"({"type":"answer","sdp":"v=0 answer"})");
              } else if (direct_ok && !p.channel_open) {
                // The answer arrived at the offerer: the channel opens on both sides.
                p.channel_open = q.channel_open = true;
                p.session.on_channel_open(256 * 1024);
                q.session.on_channel_open(256 * 1024);
              }
            } else if constexpr (std::is_same_v<T, cmd::SendFrame>) {
              p.frame_bytes_sent += m.frame.size();
              if (protocol::peek_type(m.frame) == protocol::FrameType::kChunk) p.chunk_bytes_sent += m.frame.size();
              if (m.via_server) {
                if (p.server_open && q.server_open) {
                  relayed.insert(relayed.end(), m.frame.begin(), m.frame.end());
                  if (hold_relayed) {
                    held.emplace_back(&q, m.frame);
                  } else {
                    q.session.on_server_binary(m.frame);
                  }
                }
              } else if (p.channel_open) {
                Bytes f = m.frame;
                if (tamper_frame) tamper_frame(f);
                if (q.channel_open || !q.peer_created) {
                  q.session.on_channel_message(f);
                } else {
                  unopened.emplace_back(&q, std::move(f));
                }
              }
            } else if constexpr (std::is_same_v<T, cmd::ReadFile>) {
              const Bytes& file = p.files.at(p.session.file_handle(m.transfer_id, m.file_id));
              p.session.on_file_read(m.transfer_id, m.file_id, m.index,
                                     ByteView(file).subspan(static_cast<size_t>(m.offset), m.length));
            } else if constexpr (std::is_same_v<T, cmd::OpenSink>) {
              if (!p.rx) p.rx = m.transfer_id;
              if (!m.keep || !p.sinks.count({m.transfer_id, m.file_id})) p.sinks[{m.transfer_id, m.file_id}] = Bytes();
              p.sink_keys[{m.transfer_id, m.file_id}] = {m.key, m.keep};
              p.sink_mimes[{m.transfer_id, m.file_id}] = m.mime;
            } else if constexpr (std::is_same_v<T, cmd::WriteSink>) {
              Bytes& s = p.sinks[{m.transfer_id, m.file_id}];
              const size_t end = static_cast<size_t>(m.offset) + m.bytes.size();
              if (s.size() < end) s.resize(end);
              std::copy(m.bytes.begin(), m.bytes.end(), s.begin() + static_cast<ptrdiff_t>(m.offset));
            } else if constexpr (std::is_same_v<T, cmd::ReadSink>) {
              const Bytes& s = p.sinks.at({m.transfer_id, m.file_id});
              p.session.on_sink_read(m.transfer_id, m.file_id, m.index,
                                     ByteView(s).subspan(static_cast<size_t>(m.offset), m.length));
            } else if constexpr (std::is_same_v<T, cmd::FinishSink>) {
              p.finished[{m.transfer_id, m.file_id}] = true;
            } else if constexpr (std::is_same_v<T, cmd::AbortSink>) {
              p.aborted[{m.transfer_id, m.file_id}] = true;
            } else if constexpr (std::is_same_v<T, cmd::SaveState>) {
              p.saved[m.key] = m.state;
            } else if constexpr (std::is_same_v<T, cmd::DropState>) {
              p.saved.erase(m.key);
            }
          },
          c);
    }
    if (p.session.transport() != Transport::kNone) p.session.pump(0);
    return !cmds.empty();
  }

  // A offers one file of pseudo-random bytes (handle 1); returns its content.
  Bytes send_from_a(const std::string& name, size_t size, uint8_t seed) {
    Bytes file = pseudo_random_file(size, seed);
    a.files[1] = file;
    a.session.send_files({{name, file.size(), ""}}, {1});
    return file;
  }

  // Time passes in 250 ms steps; both sessions' timers run.
  void advance(double ms) {
    for (double t = 0; t < ms; t += 250) {
      now += 250;
      a.session.tick(now);
      b.session.tick(now);
      run();
    }
  }

  // The server loses one peer's WebSocket (a network drop); the other hears it left.
  void drop_server(Peer& p) {
    p.server_open = false;
    p.session.on_server_closed(1006, "");
    Peer& q = other(p);
    if (q.server_open) q.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerLeft{}}));
    run();
  }

  // The frames held in flight on the relay arrive now.
  void release_held() {
    hold_relayed = false;
    for (auto& [to, frame] : std::exchange(held, {})) to->session.on_server_binary(frame);
    run();
  }

  // The DataChannel of the current attempt opens at last (UDP got through), on `p` only or on
  // both ends.
  void open_channel(Peer* only = nullptr) {
    for (Peer* p : {&a, &b}) {
      if (only && p != only) continue;
      p->channel_open = true;
      p->session.on_channel_open(256 * 1024);
      for (auto it = unopened.begin(); it != unopened.end();) {
        if (it->first != p) {
          ++it;
          continue;
        }
        const Bytes f = std::move(it->second);
        it = unopened.erase(it);
        p->session.on_channel_message(f);
      }
    }
  }

  // Both ends see the DataChannel close (the network dropped long enough for SCTP to give up).
  void close_channel() {
    a.channel_open = b.channel_open = false;
    a.session.on_channel_closed();
    b.session.on_channel_closed();
    run();
  }

  void run(int max_rounds = 100000) {
    for (int i = 0; i < max_rounds; ++i) {
      const bool any_a = step(a);
      const bool any_b = step(b);
      if (!any_a && !any_b) return;
    }
    FAIL("the sessions did not settle");
  }

  // p's tab reloads: its page and session are gone (the disk: sinks, saved states, stays), the
  // other side hears it left and its channel closes; p comes back as a fresh Session.
  void reload(Peer& p, uint8_t seed) {
    Peer& q = other(p);
    p.channel_open = q.channel_open = false;
    p.server_open = false;
    q.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerLeft{}}));
    q.session.on_channel_closed();
    run();
    p.session = Session(SessionOptions{"https://ferry.test", counter_rng(seed)});
    p.session.set_accept_all(true);
    p.peer_created = false;
  }

  // A creates a room, B types its code; returns the code.
  std::string create_and_join_by_code() {
    a.session.create();
    run();
    const std::string code = a.session.snapshot().short_code;
    REQUIRE(b.session.join_code(code).ok());
    run();
    return code;
  }

  // No UDP between the two (no DataChannel opens by itself), and the server relays frames.
  std::string join_without_udp() {
    relay_rate = 4 << 20;
    direct_ok = false;
    return create_and_join_by_link();
  }

  std::string create_and_join_by_link() {
    a.session.create();
    run();
    const Snapshot s = a.session.snapshot();
    REQUIRE(s.phase == Phase::kWaitingForPeer);
    REQUIRE(b.session.join_link(s.link).ok());
    run();
    return s.link;
  }
};

// The session ended with this error code.
inline void check_failed(const Session& session, const std::string& code) {
  const Snapshot s = session.snapshot();
  CHECK(s.phase == Phase::kFailed);
  REQUIRE(s.error);
  CHECK(s.error->code == code);
}

inline bool has_log(const Session& s, const std::string& needle) {
  for (const auto& l : s.log()) {
    if (l.text.find(needle) != std::string::npos) return true;
  }
  return false;
}


// A runs until B has at least `bytes` of transfer 1, file 0 (or the world settles).
inline void run_until_received(World& w, size_t bytes) {
  for (int i = 0; i < 100000; ++i) {
    const bool any_a = w.step(w.a);
    const bool any_b = w.step(w.b);
    const bool any = any_a || any_b;
    auto it = w.b.sinks.find({w.b.rx, 0});
    if (it != w.b.sinks.end() && it->second.size() >= bytes) return;
    if (!any) return;
  }
}

// A relay payload's kind and body.
inline std::pair<RelayKind, Bytes> decode_relay(const std::string& payload) {
  auto bytes = from_base64url(payload);
  REQUIRE(bytes.has_value());
  REQUIRE_FALSE(bytes->empty());
  return {static_cast<RelayKind>((*bytes)[0]), Bytes(bytes->begin() + 1, bytes->end())};
}

inline int count_kind(const std::vector<std::string>& payloads, RelayKind kind, size_t from = 0) {
  int n = 0;
  for (size_t i = from; i < payloads.size(); ++i) n += decode_relay(payloads[i]).first == kind;
  return n;
}

inline bool contains(const Bytes& hay, ByteView needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}


}  // namespace ferry_test
