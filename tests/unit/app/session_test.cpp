// Tests for app::Session: two sessions talk through an in-process relay that behaves like
// ferry-server's rooms, and a loopback "DataChannel". The real handshake, sealing, frames and
// transfer state machines run; only the browser and the network are simulated.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "app/session.h"
#include "crypto/blake2b.h"
#include "protocol/signal.h"
#include "session/ids.h"
#include "util/bytes.h"

using namespace ferry;
using namespace ferry::app;

namespace {

RandomFn counter_rng(uint8_t seed) {
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

Bytes pseudo_random_file(size_t n, uint8_t seed) {
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
  bool server_open = false;
  bool channel_open = false;
  bool peer_created = false;

  explicit Peer(uint8_t seed) : session(SessionOptions{"https://ferry.test", counter_rng(seed)}) {}
};

// Routes commands between two peers: a fake ferry-server room and a fake DataChannel.
struct World {
  Peer a{1};
  Peer b{2};
  std::string room = session::RoomId::generate(counter_rng(9)).str();
  std::string token = session::JoinToken::generate(counter_rng(10)).str();
  std::string resume = session::ResumeToken::generate(counter_rng(11)).str();
  int joins = 0;
  int pake_failures = 0;
  // Test hooks: alter a relayed payload, or a frame on the channel.
  std::function<void(std::string& payload)> tamper_relay;
  std::function<void(Bytes& frame)> tamper_frame;

  Peer& other(Peer& p) { return &p == &a ? b : a; }

  void server_receive(Peer& from, const std::string& text) {
    auto m = protocol::parse_client_message(text);
    REQUIRE(m.ok());
    Peer& to = other(from);
    if (std::holds_alternative<protocol::Create>(*m)) {
      protocol::Created c{room, token, "7", 0, resume, {}};
      from.session.on_server_message(protocol::serialize(protocol::ServerMessage{c}));
    } else if (auto* jn = std::get_if<protocol::JoinByNameplate>(&*m); jn && jn->nameplate != "7") {
      protocol::ErrorMessage e{"no_such_nameplate", "no room with this code"};
      from.session.on_server_message(protocol::serialize(protocol::ServerMessage{e}));
    } else if (std::holds_alternative<protocol::JoinByToken>(*m) ||
               std::holds_alternative<protocol::JoinByNameplate>(*m)) {
      ++joins;
      protocol::Joined j{room, resume, 0, false, true, {}};
      from.session.on_server_message(protocol::serialize(protocol::ServerMessage{j}));
      to.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerJoined{}}));
    } else if (auto* r = std::get_if<protocol::Relay>(&*m)) {
      std::string payload = r->payload;
      if (tamper_relay) tamper_relay(payload);
      to.session.on_server_message(
          protocol::serialize(protocol::ServerMessage{protocol::Relayed{payload}}));
    } else if (std::holds_alternative<protocol::PakeFailed>(*m)) {
      ++pake_failures;
      to.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerLeft{}}));
    }
  }

  // Carries out one peer's commands; returns whether anything happened.
  bool step(Peer& p) {
    auto cmds = p.session.take_commands();
    Peer& q = other(p);
    for (auto& c : cmds) {
      std::visit(
          [&](auto&& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, cmd::OpenServer>) {
              p.server_open = true;
              p.session.on_server_open();
            } else if constexpr (std::is_same_v<T, cmd::SendServer>) {
              server_receive(p, m.text);
            } else if constexpr (std::is_same_v<T, cmd::CreatePeer>) {
              p.peer_created = true;
            } else if constexpr (std::is_same_v<T, cmd::CreateOffer>) {
              p.session.on_local_description(R"({"type":"offer","sdp":"v=0 offer"})");
              p.session.on_local_candidate(R"({"candidate":"candidate:1 1 udp 1 10.0.0.1 9 typ host","sdpMid":"0"})");
            } else if constexpr (std::is_same_v<T, cmd::SetRemoteDescription>) {
              if (m.json.find("\"offer\"") != std::string::npos) {
                p.session.on_local_description(R"({"type":"answer","sdp":"v=0 answer"})");
              } else {
                // The answer arrived at the offerer: the channel opens on both sides.
                p.channel_open = q.channel_open = true;
                p.session.on_channel_open(256 * 1024);
                q.session.on_channel_open(256 * 1024);
              }
            } else if constexpr (std::is_same_v<T, cmd::SendFrame>) {
              if (p.channel_open) {
                Bytes f = m.frame;
                if (tamper_frame) tamper_frame(f);
                q.session.on_channel_message(f);
              }
            } else if constexpr (std::is_same_v<T, cmd::ReadFile>) {
              const Bytes& file = p.files.at(p.session.file_handle(m.transfer_id, m.file_id));
              p.session.on_file_read(m.transfer_id, m.file_id, m.index,
                                     ByteView(file).subspan(static_cast<size_t>(m.offset), m.length));
            } else if constexpr (std::is_same_v<T, cmd::OpenSink>) {
              p.sinks[{m.transfer_id, m.file_id}] = Bytes();
              p.sink_keys[{m.transfer_id, m.file_id}] = {m.key, m.keep};
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
            }
          },
          c);
    }
    if (p.channel_open) p.session.pump(0);
    return !cmds.empty();
  }

  void run(int max_rounds = 100000) {
    for (int i = 0; i < max_rounds; ++i) {
      const bool any_a = step(a);
      const bool any_b = step(b);
      if (!any_a && !any_b) return;
    }
    FAIL("the sessions did not settle");
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

bool has_log(const Session& s, const std::string& needle) {
  for (const auto& l : s.log()) {
    if (l.text.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a created session shows a link with the room, token and secret, and a short code") {
  World w;
  w.a.session.create();
  w.run();
  const Snapshot s = w.a.session.snapshot();
  CHECK(s.phase == Phase::kWaitingForPeer);
  CHECK(s.link.rfind("https://ferry.test/j/" + w.room + "?t=" + w.token + "#", 0) == 0);
  CHECK(s.short_code.rfind("7-", 0) == 0);
}

TEST_CASE("joining by link secures the session and both sides show the same verification words") {
  World w;
  w.create_and_join_by_link();
  const Snapshot sa = w.a.session.snapshot();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sa.phase == Phase::kConnected);
  CHECK(sb.phase == Phase::kConnected);
  CHECK(!sa.sas.empty());
  CHECK(sa.sas == sb.sas);
}

TEST_CASE("joining by short code works and uses the words as the password") {
  World w;
  w.a.session.create();
  w.run();
  const std::string code = w.a.session.snapshot().short_code;
  REQUIRE(w.b.session.join_code(code).ok());
  w.run();
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
}

TEST_CASE("a wrong short code fails with a clear message, no data channel, and is reported") {
  World w;
  w.a.session.create();
  w.run();
  const std::string code = w.a.session.snapshot().short_code;
  // Same nameplate, other words (chosen to differ from the real ones).
  const bool orbit_used = code.find("orbit") != std::string::npos;
  const std::string wrong = code.substr(0, code.find('-')) + (orbit_used ? "-velvet-velvet" : "-orbit-orbit");
  REQUIRE(wrong != code);
  REQUIRE(w.b.session.join_code(wrong).ok());
  w.run();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sb.phase == Phase::kFailed);
  REQUIRE(sb.error);
  CHECK(sb.error->code == "wrong_password");
  CHECK(sb.error->message.find("Wrong code") != std::string::npos);
  CHECK_FALSE(w.b.peer_created);
  CHECK_FALSE(w.a.peer_created);
  CHECK(w.pake_failures == 1);
  CHECK(w.a.session.snapshot().phase != Phase::kConnected);
}

TEST_CASE("a malformed link is refused before anything is sent") {
  World w;
  const Status st = w.b.session.join_link("https://ferry.test/j/short?t=x#y");
  CHECK_FALSE(st.ok());
  CHECK(w.b.session.take_commands().empty());
}

TEST_CASE("files go both ways in one session and arrive intact") {
  World w;
  const Bytes big = pseudo_random_file(1'000'000 + 123, 5);
  const Bytes empty;
  const Bytes back = pseudo_random_file(70'000, 6);
  w.a.files[11] = big;
  w.a.files[12] = empty;
  w.b.files[21] = back;
  // A picks files before anyone joins, as a user does.
  w.a.session.send_files({{"big.bin", big.size(), ""}, {"empty.txt", 0, ""}}, {11, 12});
  w.create_and_join_by_link();
  w.b.session.send_files({{"naïve 日本語 🚀.txt", back.size(), ""}}, {21});
  w.run();

  REQUIRE(w.b.sinks.count({1, 0}));
  CHECK(w.b.sinks[{1, 0}] == big);
  CHECK(w.b.finished[{1, 0}]);
  CHECK(w.b.finished[{1, 1}]);
  CHECK(w.b.sinks[{1, 1}].empty());
  REQUIRE(w.a.sinks.count({1, 0}));
  CHECK(w.a.sinks[{1, 0}] == back);
  CHECK(w.a.finished[{1, 0}]);

  const Snapshot sa = w.a.session.snapshot();
  REQUIRE(sa.transfers.size() == 2);
  for (const auto& t : sa.transfers) CHECK(t.state == "complete");
  CHECK(has_log(w.b.session, "All files received"));
}

TEST_CASE("a received file is stored under a key of room, transfer and file, starting empty") {
  World w;
  const Bytes one = pseudo_random_file(1000, 7);
  w.a.files[11] = one;
  w.a.files[12] = one;
  w.a.session.send_files({{"one.bin", one.size(), ""}, {"two.bin", one.size(), ""}}, {11, 12});
  w.create_and_join_by_link();
  w.run();
  // The same names after a reload: the browser's storage finds the partial file again.
  CHECK(w.b.sink_keys[{1, 0}] == std::make_pair(w.room + "-1-0", false));
  CHECK(w.b.sink_keys[{1, 1}] == std::make_pair(w.room + "-1-1", false));
}

TEST_CASE("a tampered sealed signalling message aborts the session with a clear error") {
  World w;
  w.a.session.create();
  w.run();
  const std::string link = w.a.session.snapshot().link;
  int sealed_seen = 0;
  w.tamper_relay = [&](std::string& payload) {
    auto bytes = from_base64url(payload);
    if (!bytes || bytes->empty() || (*bytes)[0] != static_cast<uint8_t>(RelayKind::kSealed)) return;
    if (++sealed_seen == 1) {
      bytes->back() ^= 0x01;  // flip one bit of the tag of the first sealed message (the offer)
      payload = to_base64url(*bytes);
    }
  };
  REQUIRE(w.b.session.join_link(link).ok());
  w.run();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sb.phase == Phase::kFailed);
  REQUIRE(sb.error);
  CHECK(sb.error->code == "tampered");
  CHECK_FALSE(w.b.channel_open);
}

TEST_CASE("a tampered chunk on the channel is never written, and the file does not complete") {
  World w;
  const Bytes file = pseudo_random_file(300'000, 7);
  w.a.files[1] = file;
  w.a.session.send_files({{"f.bin", file.size(), ""}}, {1});
  int chunks = 0;
  w.tamper_frame = [&](Bytes& f) {
    if (f.size() > 100 && f[1] == 1 && ++chunks == 2) f[f.size() - 1] ^= 0x80;
  };
  w.create_and_join_by_link();
  w.run();
  CHECK_FALSE(w.b.finished[{1, 0}]);
  const Bytes& got = w.b.sinks[{1, 0}];
  // Whatever was written matches the real file wherever it was written: never tampered bytes.
  size_t wrong = 0;
  for (size_t i = 0; i < got.size(); ++i) wrong += (got[i] != 0 && got[i] != file[i]) ? 1 : 0;
  CHECK(wrong == 0);
  CHECK(has_log(w.b.session, "Rejected a frame"));
}

TEST_CASE("a code whose number matches no session fails with words a person can act on") {
  World w;
  REQUIRE(w.b.session.join_code("8-orbit-velvet").ok());
  w.run();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sb.phase == Phase::kFailed);
  REQUIRE(sb.error);
  CHECK(sb.error->code == "no_such_nameplate");
  CHECK(sb.error->message.find("No session has this code") != std::string::npos);
}

TEST_CASE("a rate-limit close from the server is explained, not shown as a number") {
  World w;
  w.a.session.create();
  w.a.session.take_commands();  // the socket never opens
  w.a.session.on_server_closed(4004, "");
  const Snapshot sa = w.a.session.snapshot();
  CHECK(sa.phase == Phase::kFailed);
  REQUIRE(sa.error);
  CHECK(sa.error->message.find("Too many attempts") != std::string::npos);
}
