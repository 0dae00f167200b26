// Tests of the signalling logic over fake connections: replies, relays, limits and close codes.
#include <catch2/catch.hpp>
#include <memory>
#include <tuple>

#include "protocol/signal.h"
#include "shared_state.h"
#include "test_support.h"

using namespace ferry::server;
namespace proto = ferry::protocol;

namespace {

class FakePeer : public Peer {
 public:
  void send(Outgoing m) override {
    (m.binary ? binary : sent).push_back(*m.data);
    queued += m.data->size() + kQueuedMessageOverhead;
    if (!m.binary) queued_text += m.data->size() + kQueuedMessageOverhead;
  }
  void close(CloseCode code) override { closed = code; }
  size_t queued_bytes() const override { return queued; }
  size_t queued_text_bytes() const override { return queued_text; }
  void when_drained(Drain, std::function<void()> done) override { done(); }

  // The last message, parsed.
  proto::ServerMessage last() const {
    REQUIRE_FALSE(sent.empty());
    auto m = proto::parse_server_message(sent.back());
    REQUIRE(m.ok());
    return *m;
  }
  std::string last_error() const {
    auto m = last();
    auto* e = std::get_if<proto::ErrorMessage>(&m);
    return e ? e->code : "";
  }

  std::vector<std::string> sent;    // text messages
  std::vector<std::string> binary;  // relayed binary frames
  size_t queued = 0;                // as if nothing was ever written
  size_t queued_text = 0;
  std::optional<CloseCode> closed;
};

struct Harness {
  explicit Harness(Config c = Config{}, std::shared_ptr<const JwtVerifier> jwt = nullptr) {
    c.web_root = "";
    state = std::make_unique<SharedState>(c, Clocks{[this] { return now; }, [this] { return 1'700'000'000'000 + now; }},
                                          testing::counting_random(), std::move(jwt));
  }
  std::pair<std::shared_ptr<FakePeer>, PeerId> connect(const std::string& ip = "10.0.0.1") {
    auto p = std::make_shared<FakePeer>();
    CloseCode refusal{};
    auto id = state->attach(p, ip, &refusal);
    if (!id) {
      p->closed = refusal;
      return {p, 0};
    }
    peers.push_back(p);
    return {p, *id};
  }
  int64_t now = 0;
  std::unique_ptr<SharedState> state;
  std::vector<std::shared_ptr<FakePeer>> peers;
};

std::string create() { return proto::serialize(proto::ClientMessage{proto::Create{}}); }

// Two peers in one room.
struct Pair {
  explicit Pair(Harness& h) {
    std::tie(a, ida) = h.connect("10.0.0.1");
    std::tie(b, idb) = h.connect("10.0.0.2");
    h.state->on_text(ida, create());
    created = std::get<proto::Created>(a->last());
    h.state->on_text(idb, proto::serialize(proto::ClientMessage{proto::JoinByToken{created.room, created.token}}));
  }
  std::shared_ptr<FakePeer> a, b;
  PeerId ida = 0, idb = 0;
  proto::Created created;
};

double metric(Harness& h, const std::string& line_start) {
  auto text = h.state->metrics_text();
  auto at = text.find("\n" + line_start + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + line_start.size() + 2));
}

}  // namespace

TEST_CASE("create then join relays payloads both ways") {
  Harness h;
  auto [a, ida] = h.connect();
  auto [b, idb] = h.connect();
  h.state->on_text(ida, create());
  auto created = std::get<proto::Created>(a->last());
  CHECK(created.expires == 1'700'000'000 + 600);
  h.state->on_text(idb, proto::serialize(proto::ClientMessage{proto::JoinByToken{created.room, created.token}}));
  auto joined = std::get<proto::Joined>(b->last());
  CHECK(joined.peer);
  CHECK(std::holds_alternative<proto::PeerJoined>(a->last()));
  h.state->on_text(ida, proto::serialize(proto::ClientMessage{proto::Relay{"c2VhbGVk"}}));
  CHECK(std::get<proto::Relayed>(b->last()).payload == "c2VhbGVk");
  h.state->on_text(idb, proto::serialize(proto::ClientMessage{proto::Relay{"YW5zd2Vy"}}));
  CHECK(std::get<proto::Relayed>(a->last()).payload == "YW5zd2Vy");
  CHECK(h.state->metrics_text().find("ferry_messages_relayed_total 2") != std::string::npos);
  h.state->detach(idb);
  CHECK(std::holds_alternative<proto::PeerLeft>(a->last()));
}

TEST_CASE("malformed envelopes get an error and the connection stays usable") {
  Harness h;
  auto [a, id] = h.connect();
  h.state->on_text(id, "{not json");
  CHECK(a->last_error() == "bad_json");
  h.state->on_text(id, R"({"v":1,"type":"teleport"})");
  CHECK(a->last_error() == "unknown_type");
  CHECK_FALSE(a->closed);
  h.state->on_text(id, create());
  CHECK(std::holds_alternative<proto::Created>(a->last()));
}

TEST_CASE("too many malformed envelopes close the connection") {
  Config c;
  c.max_bad_messages = 3;
  Harness h(c);
  auto [a, id] = h.connect();
  for (int i = 0; i < 3; ++i) h.state->on_text(id, "[]");
  CHECK(a->closed == CloseCode::kProtocol);
}

TEST_CASE("a binary frame is refused with the protocol close code when the relay is off") {
  Config c;
  c.relay_rate = 0;
  Harness h(c);
  Pair p(h);
  h.state->on_binary(p.ida, "frame");
  CHECK(p.a->last_error() == "binary_frame");
  CHECK(p.a->closed == CloseCode::kProtocol);
  CHECK(p.b->binary.empty());
}

TEST_CASE("created and joined carry the configured relay rate, 0 when the relay is off") {
  for (int64_t rate : {int64_t{0}, int64_t{123456}}) {
    Config c;
    c.relay_rate = rate;
    Harness h(c);
    Pair p(h);
    CHECK(p.created.relay_rate == rate);
    CHECK(std::get<proto::Joined>(p.b->last()).relay_rate == rate);
  }
}

TEST_CASE("binary frames are relayed unchanged to the other peer, in order with text relays") {
  Harness h;
  Pair p(h);
  std::string frame("\x00\x01\xff binary", 10);
  auto pause = h.state->on_binary(p.ida, frame);
  CHECK(pause.wait_ms == 0);
  CHECK(pause.receiver.expired());
  h.state->on_text(p.idb, proto::serialize(proto::ClientMessage{proto::Relay{"dGV4dA"}}));
  h.state->on_binary(p.idb, "back");
  REQUIRE(p.b->binary.size() == 1);
  CHECK(p.b->binary[0] == frame);
  REQUIRE(p.a->binary.size() == 1);
  CHECK(p.a->binary[0] == "back");
  CHECK(std::get<proto::Relayed>(p.a->last()).payload == "dGV4dA");
  CHECK(metric(h, "ferry_relay_frames_total") == 2);
  CHECK(metric(h, "ferry_relay_bytes_total") == 14);
  CHECK_FALSE(p.a->closed);
}

TEST_CASE("binary frames are not limited by the message rate") {
  Config c;
  c.msg_burst = 2;
  c.msg_rate = 1;
  Harness h(c);
  Pair p(h);  // create and join take one text token each
  for (int i = 0; i < 100; ++i) h.state->on_binary(p.ida, "x");
  CHECK(p.b->binary.size() == 100);
  CHECK_FALSE(p.a->closed);
}

TEST_CASE("a binary frame outside a room closes with the protocol code") {
  Harness h;
  auto [a, id] = h.connect();
  h.state->on_binary(id, "frame");
  CHECK(a->last_error() == "not_in_room");
  CHECK(a->closed == CloseCode::kProtocol);
}

TEST_CASE("a binary frame above kMaxRelayFrameBytes closes with message_too_big") {
  Harness h;
  Pair p(h);
  h.state->on_binary(p.ida, std::string(proto::kMaxRelayFrameBytes, 'x'));
  CHECK_FALSE(p.a->closed);
  h.state->on_binary(p.ida, std::string(proto::kMaxRelayFrameBytes + 1, 'x'));
  CHECK(p.a->closed == CloseCode::kMessageTooBig);
  CHECK(p.b->binary.size() == 1);
}

TEST_CASE("a binary frame for an absent peer is dropped and counted") {
  Harness h;
  Pair p(h);
  h.state->detach(p.idb);
  h.state->on_binary(p.ida, "lost");
  CHECK_FALSE(p.a->closed);
  CHECK(std::holds_alternative<proto::PeerLeft>(p.a->last()));  // no error message for a drop
  CHECK(metric(h, "ferry_relay_dropped_total") == 1);
  CHECK(p.b->binary.empty());
}

TEST_CASE("a room over its relay budget pauses the sender for the debt") {
  Config c;
  c.relay_rate = 100'000;  // bytes per second; one second of burst
  Harness h(c);
  Pair p(h);
  std::string frame(50'000, 'x');
  CHECK(h.state->on_binary(p.ida, frame).wait_ms == 0);
  CHECK(h.state->on_binary(p.idb, frame).wait_ms == 0);  // both directions share the budget
  CHECK(h.state->on_binary(p.ida, frame).wait_ms == 500);
  h.now += 500;
  CHECK(h.state->on_binary(p.ida, frame).wait_ms == 500);
  h.now += 2000;  // refilled to the burst, no further
  CHECK(h.state->on_binary(p.ida, std::string(100'000, 'x')).wait_ms == 0);
  CHECK(h.state->on_binary(p.ida, "x").wait_ms == 41);  // tiny frames cost kMinRelayCharge
  CHECK(p.b->binary.size() == 5);                       // nothing was dropped
  CHECK(h.state->metrics_text().find("ferry_relay_pauses_total{reason=\"rate\"} 3") != std::string::npos);

  // Another room has its own budget.
  Pair q(h);
  CHECK(h.state->on_binary(q.ida, frame).wait_ms == 0);
}

TEST_CASE("the server-wide relay budget caps all rooms together") {
  Config c;
  c.relay_rate = 1'000'000;
  c.relay_total_rate = 100'000;
  Harness h(c);
  Pair p(h), q(h);
  std::string frame(60'000, 'x');
  CHECK(h.state->on_binary(p.ida, frame).wait_ms == 0);
  CHECK(h.state->on_binary(q.ida, frame).wait_ms == 200);
}

TEST_CASE("a receiver with too many unsent bytes pauses its sender") {
  Harness h;
  Pair p(h);
  std::string frame(proto::kMaxRelayFrameBytes, 'x');
  int frames = 0;
  ReadPause pause;
  while (pause.receiver.expired() && frames < 100) {
    pause = h.state->on_binary(p.ida, frame);
    ++frames;
  }
  CHECK(pause.receiver.lock() == p.b);
  CHECK(frames == static_cast<int>(kRelayQueueHighBytes / (frame.size() + kQueuedMessageOverhead)) + 1);
  CHECK(h.state->metrics_text().find("ferry_relay_pauses_total{reason=\"receiver\"} 1") != std::string::npos);
}

TEST_CASE("an oversized message closes with message_too_big") {
  Config c;
  c.max_message = 1000;
  Harness h(c);
  auto [a, id] = h.connect();
  h.state->on_text(id, std::string(1001, 'x'));
  CHECK(a->closed == CloseCode::kMessageTooBig);
}

TEST_CASE("a message flood closes with message_rate while the other room keeps working") {
  Config c;
  c.msg_burst = 5;
  c.msg_rate = 1;
  Harness h(c);
  auto [flooder, idf] = h.connect();
  auto [calm, idc] = h.connect();
  for (int i = 0; i < 6; ++i) h.state->on_text(idf, "{}");
  CHECK(flooder->closed == CloseCode::kMessageRate);
  h.state->on_text(idc, create());
  CHECK(std::holds_alternative<proto::Created>(calm->last()));
  CHECK_FALSE(calm->closed);
}

TEST_CASE("joins per IP are limited by a token bucket per address") {
  Config c;
  c.join_burst = 2;
  c.join_rate = 0.001;
  Harness h(c);
  auto [a, ida] = h.connect("10.0.0.1");
  auto [b, idb] = h.connect("10.0.0.1");
  auto [x, idx] = h.connect("10.0.0.1");
  auto [other, ido] = h.connect("10.0.0.2");
  h.state->on_text(ida, create());
  h.state->on_text(idb, create());
  h.state->on_text(idx, create());
  CHECK(x->closed == CloseCode::kJoinsPerIp);
  h.state->on_text(ido, create());
  CHECK(std::holds_alternative<proto::Created>(other->last()));
}

TEST_CASE("connections per IP and in total are capped") {
  Config c;
  c.max_conns_per_ip = 2;
  c.max_connections = 3;
  Harness h(c);
  h.connect("10.0.0.1");
  auto [p2, id2] = h.connect("10.0.0.1");
  auto [p3, id3] = h.connect("10.0.0.1");
  CHECK(p3->closed == CloseCode::kConnectionsPerIp);
  h.connect("10.0.0.2");
  auto [p5, id5] = h.connect("10.0.0.3");
  CHECK(p5->closed == CloseCode::kServerFull);
  h.state->detach(id2);
  auto [p6, id6] = h.connect("10.0.0.1");
  CHECK_FALSE(p6->closed);
  CHECK(h.state->metrics_text().find("ferry_refusals_total{reason=\"server_full\"} 1") != std::string::npos);
}

TEST_CASE("an unjoined room expires on sweep with room_expired") {
  Harness h;
  auto [a, id] = h.connect();
  h.state->on_text(id, create());
  h.now = 599'999;
  h.state->sweep();
  CHECK_FALSE(a->closed);
  h.now = 600'000;
  h.state->sweep();
  CHECK(a->closed == CloseCode::kRoomExpired);
}

TEST_CASE("a failed PAKE report evicts the joiner with pake_failed") {
  Config c;
  c.rooms.max_pake_failures = 1;
  Harness h(c);
  auto [a, ida] = h.connect();
  auto [b, idb] = h.connect();
  h.state->on_text(ida, create());
  auto created = std::get<proto::Created>(a->last());
  h.state->on_text(idb, proto::serialize(proto::ClientMessage{proto::JoinByNameplate{created.nameplate}}));
  REQUIRE(std::holds_alternative<proto::Joined>(b->last()));
  h.state->on_text(ida, proto::serialize(proto::ClientMessage{proto::PakeFailed{}}));
  CHECK(b->closed == CloseCode::kPakeFailed);
  CHECK(a->last_error() == "nameplate_burned");
}

TEST_CASE("shutdown closes every connection and refuses new ones") {
  Harness h;
  auto [a, ida] = h.connect();
  auto [b, idb] = h.connect();
  h.state->shutdown();
  CHECK(a->closed == CloseCode::kShutdown);
  CHECK(b->closed == CloseCode::kShutdown);
  auto [c, idc] = h.connect();
  CHECK(c->closed == CloseCode::kShutdown);
}

TEST_CASE("a rejoin closes the stale connection with replaced") {
  Harness h;
  auto [a, ida] = h.connect();
  auto [a2, ida2] = h.connect();
  h.state->on_text(ida, create());
  auto created = std::get<proto::Created>(a->last());
  h.state->on_text(ida2, proto::serialize(proto::ClientMessage{proto::Rejoin{created.room, created.resume}}));
  CHECK(std::get<proto::Joined>(a2->last()).creator);
  CHECK(a->closed == CloseCode::kReplaced);
}

TEST_CASE("ICE servers with TURN credentials are handed to peers when configured") {
  Config c;
  c.ice.turn_urls = {"turn:127.0.0.1:3478"};
  c.ice.turn_secret = "secret";
  Harness h(c);
  auto [a, id] = h.connect();
  h.state->on_text(id, create());
  auto created = std::get<proto::Created>(a->last());
  REQUIRE(created.ice_servers.size() == 1);
  CHECK(created.ice_servers[0].username.starts_with(std::to_string(1'700'000'000 + 3600) + ":"));
  CHECK_FALSE(created.ice_servers[0].credential.empty());
}

// --- the joiner's seat and the abuse limits, through the signalling logic ---------------------

namespace {

std::string text(const proto::ClientMessage& m) { return proto::serialize(m); }

// The types of the messages a peer was sent, in order.
std::vector<size_t> kinds(const FakePeer& p) {
  std::vector<size_t> out;
  for (const auto& s : p.sent) out.push_back(proto::parse_server_message(s)->index());
  return out;
}

constexpr size_t kPeerJoinedIndex = 2, kPeerLeftIndex = 3;

}  // namespace

TEST_CASE("a token join displaces a nameplate squatter: seat_taken for it, peer_left then peer_joined for the creator") {
  Harness h;
  auto [a, ida] = h.connect("10.0.0.1");
  auto [squatter, ids] = h.connect("10.0.0.2");
  auto [b, idb] = h.connect("10.0.0.3");
  h.state->on_text(ida, create());
  auto created = std::get<proto::Created>(a->last());
  h.state->on_text(ids, text(proto::JoinByNameplate{created.nameplate}));
  REQUIRE(std::holds_alternative<proto::Joined>(squatter->last()));
  a->sent.clear();
  h.state->on_text(idb, text(proto::JoinByToken{created.room, created.token}));
  REQUIRE(std::holds_alternative<proto::Joined>(b->last()));
  CHECK(squatter->closed == CloseCode::kSeatTaken);
  CHECK(kinds(*a) == std::vector<size_t>{kPeerLeftIndex, kPeerJoinedIndex});
  h.state->on_text(ida, text(proto::Relay{"aGk"}));
  CHECK(std::get<proto::Relayed>(b->last()).payload == "aGk");
}

TEST_CASE("an unconfirmed joiner is closed with unconfirmed on sweep and the creator gets peer_left") {
  Config c;
  c.rooms.confirm_timeout_ms = 1000;
  Harness h(c);
  Pair p(h);
  Pair confirmed(h);
  confirmed.a->sent.clear();
  h.state->on_text(confirmed.ida, text(proto::PakeConfirmed{}));
  CHECK(confirmed.a->sent.empty());  // no answer to a confirmation
  h.now = 999;
  h.state->sweep();
  CHECK_FALSE(p.b->closed);
  h.now = 1000;
  h.state->sweep();
  CHECK(p.b->closed == CloseCode::kUnconfirmed);
  CHECK(std::holds_alternative<proto::PeerLeft>(p.a->last()));
  CHECK_FALSE(confirmed.b->closed);
  CHECK(metric(h, "ferry_pake_confirmed_total") == 1);
}

TEST_CASE("reject_peer closes the joiner with rejected; the creator's requests are refused to others") {
  Harness h;
  Pair p(h);
  h.state->on_text(p.idb, text(proto::RejectPeer{}));
  CHECK(p.b->last_error() == "not_creator");
  h.state->on_text(p.idb, text(proto::PakeConfirmed{}));
  CHECK(p.b->last_error() == "not_creator");
  h.state->on_text(p.idb, text(proto::NewCode{}));
  CHECK(p.b->last_error() == "not_creator");
  h.state->on_text(p.ida, text(proto::RejectPeer{}));
  CHECK(p.b->closed == CloseCode::kRejected);
  CHECK(std::holds_alternative<proto::PeerLeft>(p.a->last()));
  h.state->on_text(p.ida, text(proto::RejectPeer{}));
  CHECK(p.a->last_error() == "no_peer");
}

TEST_CASE("new_code answers nameplate, and room_confirmed once the joiner confirmed") {
  Harness h;
  Pair p(h);
  h.state->on_text(p.ida, text(proto::NewCode{}));
  auto fresh = std::get<proto::NewNameplate>(p.a->last());
  CHECK(proto::is_valid_nameplate(fresh.nameplate));
  CHECK(fresh.nameplate != p.created.nameplate);
  h.state->on_text(p.ida, text(proto::PakeConfirmed{}));
  h.state->on_text(p.ida, text(proto::NewCode{}));
  CHECK(p.a->last_error() == "room_confirmed");
}

TEST_CASE("a locked room answers room_locked to a token join") {
  Config c;
  c.rooms.max_room_failures = 2;
  Harness h(c);
  Pair p(h);
  for (int i = 0; i < 2; ++i) {
    h.state->on_text(p.ida, text(proto::PakeFailed{}));
    auto [g, idg] = h.connect("10.0.1." + std::to_string(i));
    h.state->on_text(idg, text(proto::JoinByToken{p.created.room, p.created.token}));
    if (i == 0) {
      REQUIRE(std::holds_alternative<proto::Joined>(g->last()));
    } else {
      CHECK(g->last_error() == "room_locked");
    }
  }
}

TEST_CASE("a room over its text relay budget pauses the sender for the debt; another room is not") {
  Config c;
  c.text_relay_rate = 10'000;  // bytes per second, 8 s of burst
  Harness h(c);
  Pair p(h), q(h);
  std::string payload(40'000, 'A');
  CHECK(h.state->on_text(p.ida, text(proto::Relay{payload})).wait_ms == 0);
  CHECK(h.state->on_text(p.idb, text(proto::Relay{payload})).wait_ms == 0);  // 80'000: the burst
  CHECK(h.state->on_text(p.ida, text(proto::Relay{payload})).wait_ms == 4000);
  CHECK(std::get<proto::Relayed>(p.b->last()).payload == payload);  // passed on, not dropped
  CHECK(h.state->on_text(q.ida, text(proto::Relay{payload})).wait_ms == 0);
  CHECK(metric(h, "ferry_relay_pauses_total{reason=\"text_rate\"}") == 1);
}

TEST_CASE("a receiver with about 1 MiB of unsent text pauses its sender until its text drains") {
  Config c;
  c.text_relay_rate = 1'000'000'000;
  c.msg_burst = 1000;
  Harness h(c);
  Pair p(h);
  std::string payload(60'000, 'A');
  int relays = 0;
  ReadPause pause;
  while (pause.receiver.expired() && relays < 100) {
    pause = h.state->on_text(p.ida, text(proto::Relay{payload}));
    ++relays;
  }
  CHECK(pause.receiver.lock() == p.b);
  CHECK(pause.drain == Peer::Drain::kText);
  CHECK(relays > 10);
  CHECK(relays < 20);
  CHECK(metric(h, "ferry_relay_pauses_total{reason=\"text_receiver\"}") == 1);
}

TEST_CASE("above the server-wide queue cap every message read pauses its sender briefly") {
  Config c;
  c.max_queued_bytes = 1'000'000;
  Harness h(c);
  Pair p(h), q(h);
  CHECK(h.state->on_text(q.ida, text(proto::Relay{"aGk"})).wait_ms == 0);
  h.state->add_queued(1'000'001);  // what the connections report they hold
  CHECK(h.state->on_text(q.ida, text(proto::Relay{"aGk"})).wait_ms == kGlobalQueuePauseMs);
  CHECK(h.state->on_binary(p.ida, "frame").wait_ms == kGlobalQueuePauseMs);
  CHECK(std::get<proto::Relayed>(q.b->last()).payload == "aGk");  // still delivered
  CHECK(metric(h, "ferry_queued_bytes") == 1'000'001);
  h.state->add_queued(-1'000'001);
  CHECK(h.state->on_text(q.ida, text(proto::Relay{"aGk"})).wait_ms == 0);
}

TEST_CASE("--jwt-required closes entries whose connection has no valid token, and lets the others through") {
  auto verifier = JwtVerifier::from_key("0123456789abcdef0123456789abcdef", "", "");
  REQUIRE(verifier.ok());
  auto jwt = std::make_shared<const JwtVerifier>(*verifier);
  Config c;
  c.jwt_required = JwtRequired::kCreate;
  Harness h(c, jwt);
  auto [anon, anon_id] = h.connect("10.0.0.1");
  h.state->on_text(anon_id, create());
  CHECK(anon->closed == CloseCode::kJwtRequired);
  auto [late, late_id] = h.connect("10.0.0.2");
  h.state->set_jwt(late_id, JwtCheck{JwtVerdict::kExpired, "expired"});
  h.state->on_text(late_id, create());
  CHECK(late->closed == CloseCode::kJwtExpired);
  auto [forged, forged_id] = h.connect("10.0.0.3");
  h.state->set_jwt(forged_id, JwtCheck{JwtVerdict::kInvalid, "bad_signature"});
  h.state->on_text(forged_id, create());
  CHECK(forged->closed == CloseCode::kJwtInvalid);

  auto [a, ida] = h.connect("10.0.0.4");
  h.state->set_jwt(ida, JwtCheck{JwtVerdict::kValid, ""});
  h.state->on_text(ida, create());
  REQUIRE_FALSE(a->closed);
  auto created = std::get<proto::Created>(a->last());
  auto [b, idb] = h.connect("10.0.0.5");  // joins need no token under "create"
  h.state->on_text(idb, proto::serialize(proto::ClientMessage{proto::JoinByToken{created.room, created.token}}));
  CHECK_FALSE(b->closed);
  CHECK(std::holds_alternative<proto::Joined>(b->last()));
}

TEST_CASE("token checks are rationed per address like creates and joins") {
  Config c;
  c.join_burst = 2;
  c.join_rate = 1;
  Harness h(c);
  auto [a1, id1] = h.connect("10.0.0.1");
  auto [a2, id2] = h.connect("10.0.0.1");
  auto [a3, id3] = h.connect("10.0.0.1");
  auto [b, idb] = h.connect("10.0.0.2");
  CHECK(h.state->admit_jwt_check(id1));
  CHECK(h.state->admit_jwt_check(id2));
  CHECK_FALSE(h.state->admit_jwt_check(id3));
  CHECK(h.state->admit_jwt_check(idb));  // another address has its own budget
  h.now += 1000;
  CHECK(h.state->admit_jwt_check(id3));  // refilled at the join rate
}

TEST_CASE("with --redis, creates get redis_unavailable and /readyz fails until the link reports Redis up") {
  Config c;
  c.signal_only = true;
  c.redis = RedisTarget{"127.0.0.1", 6379, 0};
  Harness h(c);
  auto [a, ida] = h.connect();
  CHECK(h.state->not_ready_reason() == "redis_unavailable");
  CHECK(metric(h, "ferry_redis_up") == 0);
  h.state->on_text(ida, create());
  CHECK(a->last_error() == "redis_unavailable");
  CHECK_FALSE(a->closed);  // told, not closed: the client may try again on the same connection
  h.state->set_redis_up(true);
  CHECK(h.state->not_ready_reason().empty());
  CHECK(metric(h, "ferry_redis_up") == 1);
  h.state->on_text(ida, create());
  CHECK(std::holds_alternative<proto::Created>(a->last()));
  // Redis going away later refuses new rooms only: the live room goes on.
  auto [b, idb] = h.connect("10.0.0.2");
  auto created = std::get<proto::Created>(a->last());
  h.state->set_redis_up(false);
  h.state->on_text(idb, proto::serialize(proto::ClientMessage{proto::JoinByToken{created.room, created.token}}));
  CHECK(std::holds_alternative<proto::Joined>(b->last()));
  CHECK(h.state->not_ready_reason() == "redis_unavailable");
}

TEST_CASE("without --redis, the link's reports change nothing") {
  Config c;
  c.signal_only = true;
  Harness h(c);
  h.state->set_redis_up(false);
  CHECK(h.state->not_ready_reason().empty());
  CHECK(metric(h, "ferry_redis_up") == -1);  // absent
  auto [a, ida] = h.connect();
  h.state->on_text(ida, create());
  CHECK(std::holds_alternative<proto::Created>(a->last()));
}
