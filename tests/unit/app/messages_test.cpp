// Tests for app::Messages (text messages between the two devices): two Messages joined by a
// loopback, then two whole Sessions (session_world.h) on the DataChannel and on the relay.
#include "app/messages.h"

#include "session_world.h"

using namespace ferry_test;

namespace {

crypto::SecretKey key_of(uint8_t seed) {
  uint8_t k[crypto::kKeyBytes];
  for (size_t i = 0; i < sizeof k; ++i) k[i] = static_cast<uint8_t>(seed * 31 + i);
  return crypto::SecretKey(k);
}

// One side's Messages and what it did.
struct End {
  std::vector<Bytes> sent;  // frames, in order
  std::vector<bool> via_server;
  std::vector<std::pair<LogKind, std::string>> log;
  Messages messages;
  explicit End(uint8_t seed)
      : messages(
            counter_rng(seed),
            [this](Command c) {
              auto& f = std::get<cmd::SendFrame>(c);
              sent.push_back(std::move(f.frame));
              via_server.push_back(f.via_server);
            },
            [this](LogKind k, std::string t) { log.emplace_back(k, std::move(t)); }) {}
  std::vector<std::string> received() const {
    std::vector<std::string> out;
    for (const auto& [k, t] : log) {
      if (k == LogKind::kMessageReceived) out.push_back(t);
    }
    return out;
  }
  size_t notes_containing(const std::string& needle) const {
    size_t n = 0;
    for (const auto& [k, t] : log) n += k == LogKind::kInfo && t.find(needle) != std::string::npos;
    return n;
  }
};

// A and B with the keys of one session: A's send data key is B's receive data key.
struct Pair {
  End a{1}, b{2};
  crypto::SecretKey ab = key_of(1), ba = key_of(2);
  Pair() {
    a.messages.set_keys(ab, ba);
    b.messages.set_keys(ba, ab);
    a.messages.open(false, 0);
    b.messages.open(false, 0);
  }
  void deliver_a_to_b() {
    for (const auto& f : std::exchange(a.sent, {})) b.messages.on_frame(f);
  }
};

// A frame sealed exactly as Messages seals, but with any plaintext (what a peer could send).
Bytes seal_raw(const crypto::SecretKey& data_key, uint64_t seq, const Bytes& plain) {
  protocol::MessageFrame f;
  f.seq = seq;
  crypto::seal_chunk(
      f.payload, crypto::derive_file_key(data_key, kMessageTransferId, kMessageFileId),
      crypto::ChunkId{kMessageTransferId, kMessageFileId, seq, false}, plain, counter_rng(7));
  return protocol::encode(f);
}

}  // namespace

TEST_CASE(
    "a message sealed by one side opens on the other with its exact text, links and Unicode "
    "included") {
  Pair p;
  const std::string text = "Grüße ✓ 日本語 🚀\nhttps://example.org/a?b=c#d";
  REQUIRE(p.a.messages.send(text).ok());
  REQUIRE(p.a.sent.size() == 1);
  CHECK(protocol::peek_type(p.a.sent[0]) == protocol::FrameType::kMessage);
  // The text is sealed: not a byte of it is on the wire in the clear.
  CHECK_FALSE(contains(p.a.sent[0], as_bytes("example.org")));
  p.deliver_a_to_b();
  CHECK(p.b.received() == std::vector<std::string>{text});
  // The writer's own log shows it as sent.
  REQUIRE_FALSE(p.a.log.empty());
  CHECK(p.a.log[0] == std::pair{LogKind::kMessageSent, text});
}

TEST_CASE("messages go both ways, each direction numbered on its own") {
  Pair p;
  REQUIRE(p.a.messages.send("one").ok());
  REQUIRE(p.b.messages.send("uno").ok());
  REQUIRE(p.a.messages.send("two").ok());
  p.deliver_a_to_b();
  for (const auto& f : std::exchange(p.b.sent, {})) p.a.messages.on_frame(f);
  CHECK(p.b.received() == std::vector<std::string>{"one", "two"});
  CHECK(p.a.received() == std::vector<std::string>{"uno"});
  CHECK(p.a.messages.rejected() == 0);
  CHECK(p.b.messages.rejected() == 0);
}

TEST_CASE("a replayed message is dropped, logged once, and never shown again") {
  Pair p;
  REQUIRE(p.a.messages.send("pay 10 to Bob").ok());
  const Bytes recorded = p.a.sent.at(0);
  p.deliver_a_to_b();
  for (int i = 0; i < 5; ++i) p.b.messages.on_frame(recorded);
  CHECK(p.b.received().size() == 1);
  CHECK(p.b.messages.rejected() == 5);
  CHECK(p.b.notes_containing("replayed") == 1);
}

TEST_CASE("a reordered message (a lower seq after a higher one) is dropped; gaps are allowed") {
  Pair p;
  REQUIRE(p.a.messages.send("first").ok());
  REQUIRE(p.a.messages.send("second").ok());
  REQUIRE(p.a.messages.send("third").ok());
  p.b.messages.on_frame(p.a.sent[2]);
  p.b.messages.on_frame(p.a.sent[0]);
  CHECK(p.b.received() == std::vector<std::string>{"third"});
  CHECK(p.b.messages.rejected() == 1);
}

TEST_CASE("a message reflected back to its writer does not open") {
  Pair p;
  REQUIRE(p.a.messages.send("hello").ok());
  p.a.messages.on_frame(p.a.sent[0]);
  CHECK(p.a.received().empty());
  CHECK(p.a.messages.rejected() == 1);
  CHECK(p.a.notes_containing("failed authentication") == 1);
}

TEST_CASE("a forged or altered message is dropped, logged once per cause, never shown") {
  Pair p;
  // Sealed under a key nobody in the session has.
  p.b.messages.on_frame(seal_raw(key_of(99), 1, Bytes{1, 'h', 'i'}));
  // One bit flipped on the way.
  REQUIRE(p.a.messages.send("genuine").ok());
  Bytes altered = p.a.sent[0];
  altered.back() ^= 0x01;
  p.b.messages.on_frame(altered);
  // Garbage that is not even a frame, many times.
  for (int i = 0; i < 50; ++i) p.b.messages.on_frame(Bytes{1, 3, 0, 0});
  CHECK(p.b.received().empty());
  CHECK(p.b.messages.rejected() == 52);
  CHECK(p.b.notes_containing("failed authentication") == 1);
  CHECK(p.b.notes_containing("malformed") == 1);
  // The genuine one still opens afterwards: rejected frames do not move the seq window.
  p.b.messages.on_frame(p.a.sent[0]);
  CHECK(p.b.received() == std::vector<std::string>{"genuine"});
}

TEST_CASE("a message of exactly 64 KiB goes; one byte more is refused as too long") {
  Pair p;
  const std::string edge(protocol::kMaxMessageTextBytes, 'x');
  REQUIRE(p.a.messages.send(edge).ok());
  p.deliver_a_to_b();
  REQUIRE(p.b.received().size() == 1);
  CHECK(p.b.received()[0] == edge);
  const auto st = p.a.messages.send(edge + "y");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "too_long");
  CHECK(p.a.sent.empty());
}

TEST_CASE("an oversize message frame from the peer is refused before it is opened") {
  Pair p;
  protocol::MessageFrame f;
  f.seq = 1;
  f.payload.assign(protocol::kMaxMessagePayloadBytes, 0);
  Bytes wire = protocol::encode(f);
  // One byte more than the limit, with a length that says so.
  wire.push_back(0);
  for (int i = 0; i < 4; ++i)
    wire[10 + i] = static_cast<uint8_t>((protocol::kMaxMessagePayloadBytes + 1) >> (8 * i));
  p.b.messages.on_frame(wire);
  CHECK(p.b.received().empty());
  CHECK(p.b.notes_containing("oversize") == 1);
}

TEST_CASE("invalid UTF-8 is refused when sending and when it comes from the peer") {
  Pair p;
  for (const std::string& bad : {std::string("\xC0\xAF"), std::string("ok \xED\xA0\x80"),
                                 std::string("\xF4\x90\x80\x80"), std::string("cut \xE2\x82")}) {
    const auto st = p.a.messages.send(bad);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == "bad_utf8");
  }
  CHECK(p.a.sent.empty());
  // An authentic message whose text is not UTF-8 (a buggy or hostile peer): refused, not shown.
  Bytes plain{static_cast<uint8_t>(MessageKind::kText), 'h', 0xFF, 'i'};
  p.b.messages.on_frame(seal_raw(p.ab, 1, plain));
  CHECK(p.b.received().empty());
  CHECK(p.b.notes_containing("not valid UTF-8") == 1);
  // Nor an unknown kind.
  p.b.messages.on_frame(seal_raw(p.ab, 2, Bytes{9, 'x'}));
  CHECK(p.b.received().empty());
  CHECK(p.b.messages.rejected() == 2);
}

TEST_CASE("an empty message is not sent") {
  Pair p;
  const auto st = p.a.messages.send("");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "empty");
  CHECK(p.a.sent.empty());
}

TEST_CASE("messages written while no path is open wait, in order, and go when one opens") {
  End a{1}, b{2};
  const auto ab = key_of(1), ba = key_of(2);
  // Before any keys: queued, shown as sent, nothing on the wire.
  REQUIRE(a.messages.send("before the keys").ok());
  a.messages.set_keys(ab, ba);
  b.messages.set_keys(ba, ab);
  REQUIRE(a.messages.send("before the path").ok());
  CHECK(a.sent.empty());
  CHECK(a.messages.waiting() == 2);
  a.messages.open(true, 0);
  CHECK(a.messages.waiting() == 0);
  REQUIRE(a.sent.size() == 2);
  CHECK(a.via_server == std::vector<bool>{true, true});
  for (const auto& f : a.sent) b.messages.on_frame(f);
  CHECK(b.received() == std::vector<std::string>{"before the keys", "before the path"});
  // Closed again: the next one waits for the next path.
  a.messages.close();
  REQUIRE(a.messages.send("after the drop").ok());
  CHECK(a.sent.size() == 2);
  a.messages.open(false, 0);
  REQUIRE(a.sent.size() == 3);
  CHECK(a.via_server.back() == false);
  b.messages.on_frame(a.sent.back());
  CHECK(b.received().back() == "after the drop");
}

TEST_CASE(
    "the waiting queue is bounded: beyond kMaxQueuedMessages a message is refused, not kept") {
  End a{1};
  for (size_t i = 0; i < kMaxQueuedMessages; ++i)
    REQUIRE(a.messages.send("m" + std::to_string(i)).ok());
  const auto st = a.messages.send("one too many");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "queue_full");
  CHECK(a.messages.waiting() == kMaxQueuedMessages);
  // And by bytes: 16 full-size messages fill it.
  End c{3};
  const std::string big(protocol::kMaxMessageTextBytes, 'z');
  for (size_t i = 0; i < kMaxQueuedMessageBytes / big.size(); ++i)
    REQUIRE(c.messages.send(big).ok());
  CHECK(c.messages.send("z").error().code == "queue_full");
}

TEST_CASE("new keys number from 1 again, and a message of the old keys no longer opens") {
  Pair p;
  REQUIRE(p.a.messages.send("old").ok());
  const Bytes old = p.a.sent[0];
  p.deliver_a_to_b();
  // The same keys again (a second confirmation of one handshake) change nothing.
  p.a.messages.set_keys(p.ab, p.ba);
  p.b.messages.set_keys(p.ba, p.ab);
  REQUIRE(p.a.messages.send("same keys").ok());
  p.deliver_a_to_b();
  CHECK(p.b.received().size() == 2);
  // A re-key (B reloaded): both sides have new keys.
  const auto ab2 = key_of(11), ba2 = key_of(12);
  p.a.messages.set_keys(ab2, ba2);
  p.b.messages.set_keys(ba2, ab2);
  p.b.messages.on_frame(old);
  CHECK(p.b.received().size() == 2);
  CHECK(p.b.notes_containing("failed authentication") == 1);
  REQUIRE(p.a.messages.send("new").ok());
  REQUIRE(protocol::parse_message(p.a.sent.back())->seq == 1);
  p.deliver_a_to_b();
  CHECK(p.b.received().back() == "new");
}

TEST_CASE("a message longer than the path takes per message is not sent, and says so") {
  End a{1};
  a.messages.set_keys(key_of(1), key_of(2));
  a.messages.open(false, 16 * 1024);
  REQUIRE(a.messages.send(std::string(20 * 1024, 'q')).ok());
  CHECK(a.sent.empty());
  CHECK(a.notes_containing("too long for this connection") == 1);
  REQUIRE(a.messages.send("short").ok());
  CHECK(a.sent.size() == 1);
}

// --- whole sessions -------------------------------------------------------------------------

namespace {
std::vector<std::string> messages_in(const Session& s, LogKind kind) {
  std::vector<std::string> out;
  for (const auto& l : s.log()) {
    if (l.kind == kind) out.push_back(l.text);
  }
  return out;
}
}  // namespace

TEST_CASE("messages go both ways over the DataChannel and show in both activity logs") {
  World w;
  w.create_and_join_by_link();
  REQUIRE(w.a.session.snapshot().phase == Phase::kConnected);
  REQUIRE(w.a.session.send_message("from A: https://example.org").ok());
  REQUIRE(w.b.session.send_message("from B ✓").ok());
  w.run();
  CHECK(messages_in(w.b.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"from A: https://example.org"});
  CHECK(messages_in(w.a.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"from B ✓"});
  CHECK(messages_in(w.a.session, LogKind::kMessageSent) ==
        std::vector<std::string>{"from A: https://example.org"});
  // Nothing went through the server.
  CHECK(w.relayed.empty());
}

TEST_CASE("messages go through the server's relay when there is no direct path, sealed") {
  World w;
  w.join_without_udp();
  w.advance(kDirectTimeoutMs + 1000);
  REQUIRE(w.a.session.snapshot().path == PathKind::kServer);
  REQUIRE(w.b.session.send_message("through the relay").ok());
  REQUIRE(w.a.session.send_message("and back").ok());
  w.run();
  CHECK(messages_in(w.a.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"through the relay"});
  CHECK(messages_in(w.b.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"and back"});
  CHECK_FALSE(w.relayed.empty());
  CHECK_FALSE(contains(w.relayed, as_bytes("through the relay")));
}

TEST_CASE("a message written before the other device connected goes once it has") {
  World w;
  w.a.session.create();
  w.run();
  REQUIRE(w.a.session.send_message("waiting for you").ok());
  CHECK(w.a.session.snapshot().messages_waiting == 1);
  REQUIRE(w.b.session.join_link(w.a.session.snapshot().link).ok());
  w.run();
  CHECK(w.a.session.snapshot().messages_waiting == 0);
  CHECK(messages_in(w.b.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"waiting for you"});
}

TEST_CASE("without a session there is nobody to send a message to") {
  World w;
  CHECK(w.a.session.send_message("hello?").error().code == "no_session");
}

TEST_CASE("a peer sending full-size messages in a loop keeps the activity log bounded") {
  World w;
  w.create_and_join_by_link();
  const std::string big(protocol::kMaxMessageTextBytes, 'm');
  for (int i = 0; i < 100; ++i) {
    REQUIRE(w.b.session.send_message(big).ok());
    w.run();
  }
  size_t bytes = 0;
  for (const auto& l : w.a.session.log()) bytes += l.text.size();
  CHECK(bytes <= kMaxLogTextBytes);
  CHECK(messages_in(w.a.session, LogKind::kMessageReceived).size() ==
        kMaxLogTextBytes / big.size());
  CHECK(w.a.session.log_total() > 100);  // every line counted, the old ones dropped
}

TEST_CASE(
    "a message still on the relay when the path moved to the DataChannel is shown, not lost") {
  World w;
  w.join_without_udp();
  w.advance(kRaceRelayAfterMs + 250);
  REQUIRE(w.a.session.transport() == Transport::kServer);
  w.hold_relayed = true;
  REQUIRE(w.a.session.send_message("in flight on the relay").ok());
  w.step(w.a);
  REQUIRE_FALSE(w.held.empty());
  w.hold_relayed = false;
  w.open_channel();
  w.release_held();
  REQUIRE(w.b.session.transport() == Transport::kDirect);
  CHECK(messages_in(w.b.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"in flight on the relay"});
  REQUIRE(w.a.session.send_message("on the DataChannel").ok());
  w.run();
  CHECK(messages_in(w.b.session, LogKind::kMessageReceived).back() == "on the DataChannel");
  CHECK_FALSE(has_log(w.b.session, "Dropped"));
}

TEST_CASE(
    "a message written while a forged HELLO's handshake runs waits, then goes under the live "
    "keys") {
  World w;
  w.create_and_join_by_link();
  Bytes hello(session::kHelloBytes, 7);
  hello[0] = static_cast<uint8_t>(session::JoinMethod::kLink);
  w.inject(w.a, RelayKind::kHello, hello);
  REQUIRE(w.a.session.snapshot().rekeying);
  REQUIRE(w.a.session.send_message("during the new handshake").ok());
  w.run();
  CHECK(w.a.session.snapshot().messages_waiting == 1);
  CHECK(messages_in(w.b.session, LogKind::kMessageReceived).empty());
  // The forged handshake never confirms: once it timed out the message goes, and B opens it.
  w.advance(kHandshakeTimeoutMs + 1000);
  CHECK(w.a.session.snapshot().messages_waiting == 0);
  CHECK(messages_in(w.b.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"during the new handshake"});
}

TEST_CASE("after the other device reloaded, messages go both ways under the new keys") {
  World w;
  const std::string link = w.create_and_join_by_link();
  REQUIRE(w.a.session.send_message("before the reload").ok());
  w.run();
  const std::string resume = w.b.session.resume_token();
  w.reload(w.b, 77);
  REQUIRE(w.b.session.join_link(link, resume).ok());
  w.run();
  w.advance(1000);
  REQUIRE(w.b.session.snapshot().phase == Phase::kConnected);
  REQUIRE(w.a.session.send_message("after the reload").ok());
  REQUIRE(w.b.session.send_message("B is back").ok());
  w.run();
  // The reloaded page starts an empty log: it has only what came after.
  CHECK(messages_in(w.b.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"after the reload"});
  CHECK(messages_in(w.a.session, LogKind::kMessageReceived) ==
        std::vector<std::string>{"B is back"});
}
