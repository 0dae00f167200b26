// The handshake state machine: success, wrong password, tampering, replay and reordering,
// and a man in the middle.
#include "session/handshake.h"

#include <sodium.h>

#include <catch2/catch.hpp>

#include "test_rng.h"

using namespace ferry;
using namespace ferry::session;
using crypto::Role;
using State = Handshake::State;

namespace {

const RoomId& test_room() {
  static const RoomId room = RoomId::generate(test::counting_random(7));
  return room;
}

Bytes password(std::string_view words) {
  return Bytes(words.begin(), words.end());
}

// B starts first: its HELLO carries its nonce and method, which A's start needs.
Handshake joiner(std::string_view words, const RoomId& room = test_room(),
                 JoinMethod method = JoinMethod::kCode) {
  auto hs = Handshake::start_joiner(room, method, password(words), default_random());
  REQUIRE(hs.ok());
  return std::move(hs).value();
}

Handshake creator_for(const Hello& hello, std::string_view words,
                      const RoomId& room = test_room()) {
  auto hs = Handshake::start_creator(room, hello, password(words), default_random());
  REQUIRE(hs.ok());
  return std::move(hs).value();
}

Handshake creator(const Handshake& b, std::string_view words, const RoomId& room = test_room()) {
  auto hello = parse_hello(b.hello());
  REQUIRE(hello.ok());
  return creator_for(*hello, words, room);
}

// A creator answering a HELLO from nobody in particular.
Handshake lone_creator(std::string_view words) {
  return creator_for(Hello{JoinMethod::kCode, {}}, words);
}

// Moves every queued message from one side to the other; returns what was delivered.
std::vector<Bytes> deliver(Handshake& from, Handshake& to) {
  std::vector<Bytes> sent;
  while (auto msg = from.take_outgoing()) {
    sent.push_back(*msg);
    (void)to.receive(*msg);
  }
  return sent;
}

void run(Handshake& a, Handshake& b) {
  deliver(a, b);  // share_a
  deliver(b, a);  // share_b + tag_b
  deliver(a, b);  // tag_a
}

bool same_key(const crypto::SecretKey& x, const crypto::SecretKey& y) {
  return sodium_memcmp(x.data(), y.data(), crypto::kKeyBytes) == 0;
}

}  // namespace

TEST_CASE("creator and joiner with the same password confirm and agree on keys and SAS") {
  auto b = joiner("orbit-velvet");
  auto a = creator(b, "orbit-velvet");
  CHECK(a.state() == State::AwaitingShareB);
  CHECK(b.state() == State::AwaitingShareA);
  auto m1 = deliver(a, b);
  REQUIRE(m1.size() == 1);
  CHECK(m1[0].size() == kShareAMessageBytes);
  CHECK(b.state() == State::AwaitingConfirmA);
  auto m2 = deliver(b, a);
  REQUIRE(m2.size() == 1);
  CHECK(m2[0].size() == kShareBMessageBytes);
  CHECK(a.state() == State::Confirmed);
  auto m3 = deliver(a, b);
  REQUIRE(m3.size() == 1);
  CHECK(m3[0].size() == kConfirmAMessageBytes);
  REQUIRE(b.state() == State::Confirmed);

  CHECK(same_key(a.keys().send_signal, b.keys().recv_signal));
  CHECK(same_key(a.keys().recv_signal, b.keys().send_signal));
  CHECK(same_key(a.keys().send_data, b.keys().recv_data));
  CHECK(same_key(a.keys().recv_data, b.keys().send_data));
  CHECK_FALSE(same_key(a.keys().send_signal, a.keys().recv_signal));
  CHECK(a.sas_bytes() == b.sas_bytes());
  CHECK(a.sas_words() == b.sas_words());
  CHECK(a.sas_words().find(' ') != std::string::npos);
  CHECK_FALSE(a.take_outgoing().has_value());
  CHECK_FALSE(b.take_outgoing().has_value());
}

TEST_CASE("confirmed handshake gives working sealed signalling both ways") {
  auto b = joiner("orbit-velvet");
  auto a = creator(b, "orbit-velvet");
  run(a, b);
  REQUIRE(a.confirmed());
  REQUIRE(b.confirmed());
  auto sealed = a.signal_sender().seal(as_bytes("offer"));
  REQUIRE(sealed.ok());
  auto opened = b.signal_receiver().open(*sealed);
  REQUIRE(opened.ok());
  CHECK(as_string(*opened) == "offer");
  auto back = b.signal_sender().seal(as_bytes("answer"));
  REQUIRE(back.ok());
  CHECK(as_string(*a.signal_receiver().open(*back)) == "answer");
  // A message reflected to its own sender does not open.
  CHECK_FALSE(a.signal_receiver().open(*sealed).ok());
}

TEST_CASE("link secret and short code give the CPace passwords") {
  const auto secret = LinkSecret::generate(test::counting_random(3));
  CHECK(password_from_link_secret(secret) == secret.bytes());
  ShortCode code;
  code.nameplate = 7;
  code.words = {1, 2};
  const auto pw = password_from_short_code(code);
  CHECK(std::string(pw.begin(), pw.end()) == code.password());
  // The nameplate routes only: another nameplate, same words, same password.
  ShortCode other = code;
  other.nameplate = 99;
  CHECK(password_from_short_code(other) == pw);
}

TEST_CASE("wrong password fails on both sides with wrong_password") {
  auto b = joiner("orbit-candle");
  auto a = creator(b, "orbit-velvet");
  deliver(a, b);
  CHECK(b.state() == State::AwaitingConfirmA);  // B cannot know yet
  deliver(b, a);
  REQUIRE(a.failed());
  CHECK(a.error().code == "wrong_password");
  deliver(a, b);  // A's tag still goes out, so B finds out by itself
  REQUIRE(b.failed());
  CHECK(b.error().code == "wrong_password");
}

TEST_CASE("handshakes in different rooms do not confirm") {
  const auto other_room = RoomId::generate(test::counting_random(99));
  auto b = joiner("orbit-velvet", other_room);
  auto a = creator(b, "orbit-velvet");
  run(a, b);
  CHECK(a.error().code == "wrong_password");
  CHECK(b.error().code == "wrong_password");
}

TEST_CASE("tampered share is rejected") {
  auto b = joiner("orbit-velvet");
  auto a = creator(b, "orbit-velvet");
  auto m1 = a.take_outgoing();
  REQUIRE(m1.has_value());
  (*m1)[kHandshakeHeaderBytes + 5] ^= 0x01;
  (void)b.receive(*m1);
  if (b.failed()) {
    CHECK(b.error().code == "invalid_point");  // most altered encodings are not group elements
  } else {
    // A valid but different point: the keys differ and confirmation catches it.
    deliver(b, a);
    CHECK(a.error().code == "wrong_password");
    deliver(a, b);
    CHECK(b.error().code == "wrong_password");
  }
  CHECK_FALSE(a.confirmed());
  CHECK_FALSE(b.confirmed());
}

TEST_CASE("identity point as a share is rejected as invalid") {
  auto b = joiner("orbit-velvet");
  Bytes msg{kHandshakeVersion, uint8_t(HandshakeMessageType::ShareA)};
  msg.resize(kShareAMessageBytes, 0);  // any nonce, then all zeros: the identity
  auto st = b.receive(msg);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "invalid_point");
  CHECK(b.failed());
  CHECK_FALSE(b.take_outgoing().has_value());
}

TEST_CASE("non-canonical point encoding as a share is rejected as invalid") {
  auto a = lone_creator("orbit-velvet");
  REQUIRE(a.take_outgoing().has_value());  // A's own share
  Bytes msg{kHandshakeVersion, uint8_t(HandshakeMessageType::ShareB)};
  msg.resize(kShareBMessageBytes, 0xff);  // 0xff..ff is not a canonical encoding
  auto st = a.receive(msg);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "invalid_point");
  CHECK_FALSE(a.take_outgoing().has_value());  // no tag is sent without keys
}

TEST_CASE("tampered confirmation tag fails with wrong_password") {
  auto b = joiner("orbit-velvet");
  auto a = creator(b, "orbit-velvet");
  deliver(a, b);
  auto m2 = b.take_outgoing();
  REQUIRE(m2.has_value());
  m2->back() ^= 0x80;
  CHECK(a.receive(*m2).error().code == "wrong_password");
  auto m3 = a.take_outgoing();
  REQUIRE(m3.has_value());
  m3->back() ^= 0x80;
  CHECK(b.receive(*m3).error().code == "wrong_password");
}

TEST_CASE("replayed share is rejected and ends the handshake") {
  auto b = joiner("orbit-velvet");
  auto a = creator(b, "orbit-velvet");
  auto m1 = a.take_outgoing();
  REQUIRE(b.receive(*m1).ok());
  auto st = b.receive(*m1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "unexpected_message");
  CHECK(b.failed());
  CHECK(b.error().code == "unexpected_message");
}

TEST_CASE("replayed confirmation after success is rejected without undoing it") {
  auto b = joiner("orbit-velvet");
  auto a = creator(b, "orbit-velvet");
  deliver(a, b);
  deliver(b, a);
  auto m3 = a.take_outgoing();
  REQUIRE(b.receive(*m3).ok());
  CHECK(b.receive(*m3).error().code == "unexpected_message");
  CHECK(b.confirmed());
}

TEST_CASE("out-of-order messages are rejected") {
  auto b = joiner("orbit-velvet");
  auto a = creator(b, "orbit-velvet");
  auto m1 = a.take_outgoing();
  REQUIRE(b.receive(*m1).ok());
  auto m2 = b.take_outgoing();
  REQUIRE(a.receive(*m2).ok());
  auto m3 = a.take_outgoing();

  // B gets the confirmation before any share.
  auto b2 = joiner("orbit-velvet");
  CHECK(b2.receive(*m3).error().code == "unexpected_message");
  // A gets a ShareB it already had.
  CHECK(a.receive(*m2).error().code == "unexpected_message");
  // A fresh A gets a ConfirmA (only A sends those).
  auto a2 = lone_creator("orbit-velvet");
  CHECK(a2.receive(*m3).error().code == "unexpected_message");
}

TEST_CASE("a reflected share is rejected") {
  auto a = lone_creator("orbit-velvet");
  auto m1 = a.take_outgoing();
  auto st = a.receive(*m1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "unexpected_message");
}

TEST_CASE("malformed handshake messages are rejected with a reason") {
  auto check = [](const Bytes& msg, const char* code) {
    auto b = joiner("orbit-velvet");
    auto st = b.receive(msg);
    INFO(to_hex(msg));
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == code);
    CHECK(b.failed());
  };
  check({}, "malformed_handshake");
  check({kHandshakeVersion}, "malformed_handshake");
  check({kHandshakeVersion, 9}, "malformed_handshake");
  check({kHandshakeVersion, 0}, "malformed_handshake");
  Bytes short_share{kHandshakeVersion, 1};
  short_share.resize(kShareAMessageBytes - 1, 7);
  check(short_share, "malformed_handshake");
  Bytes long_share{kHandshakeVersion, 1};
  long_share.resize(kShareAMessageBytes + 1, 7);
  check(long_share, "malformed_handshake");
  Bytes other_version{1, 1};  // version 1 (no nonces)
  other_version.resize(kShareAMessageBytes, 7);
  check(other_version, "unsupported_version");
}

TEST_CASE("a sealed message before confirmation is not accepted") {
  auto b = joiner("orbit-velvet");
  auto a = creator(b, "orbit-velvet");
  deliver(a, b);
  // Anything shaped like a sealed signalling message (seq, ciphertext, tag) is refused.
  Bytes sealed(crypto::kSealedOverheadBytes + 20, 0);
  sealed[0] = 1;
  const auto st = b.receive(sealed);
  REQUIRE_FALSE(st.ok());
  CHECK((st.error().code == "malformed_handshake" || st.error().code == "unsupported_version"));
  CHECK(b.failed());
}

TEST_CASE("a man in the middle with a guessed password fails against both sides") {
  // M relays nothing: it runs its own CPace with each side, with a guess at the password.
  auto b = joiner("orbit-velvet");
  auto m_as_a = creator(b, "orbit-candle");  // M answers B's HELLO
  auto m_as_b = joiner("orbit-candle");       // and says its own HELLO to A
  auto a = creator(m_as_b, "orbit-velvet");

  deliver(a, m_as_b);  // A's share to M
  deliver(m_as_a, b);  // M's share to B
  deliver(b, m_as_a);  // B's share and tag to M: M's check fails (wrong guess)
  CHECK(m_as_a.error().code == "wrong_password");
  deliver(m_as_b, a);  // M's share and tag to A
  REQUIRE(a.failed());
  CHECK(a.error().code == "wrong_password");
  // M forwards whatever it has for B (its own tag from the A-side run).
  deliver(m_as_a, b);
  REQUIRE(b.failed());
  CHECK(b.error().code == "wrong_password");
}

TEST_CASE("a man in the middle who knows the password is exposed by the SAS") {
  auto b = joiner("orbit-velvet");
  auto m_as_a = creator(b, "orbit-velvet");
  auto m_as_b = joiner("orbit-velvet");
  auto a = creator(m_as_b, "orbit-velvet");
  run(a, m_as_b);
  run(m_as_a, b);
  REQUIRE(a.confirmed());
  REQUIRE(b.confirmed());
  // Two separate sessions: the words the users compare differ.
  CHECK(a.sas_words() != b.sas_words());
}

TEST_CASE("each run gives fresh keys even with the same room and password") {
  auto b1 = joiner("orbit-velvet");
  auto a1 = creator(b1, "orbit-velvet");
  auto b2 = joiner("orbit-velvet");
  auto a2 = creator(b2, "orbit-velvet");
  run(a1, b1);
  run(a2, b2);
  REQUIRE(a1.confirmed());
  REQUIRE(a2.confirmed());
  CHECK_FALSE(same_key(a1.keys().send_data, a2.keys().send_data));
}

TEST_CASE("the session id is fresh per run: room id and both nonces") {
  const auto r1 = RoomId::generate(test::counting_random(1));
  const auto r2 = RoomId::generate(test::counting_random(2));
  const Bytes na(kHandshakeNonceBytes, 1), nb(kHandshakeNonceBytes, 2), nc(kHandshakeNonceBytes, 3);
  CHECK(session_id(r1, nb, na) == session_id(r1, nb, na));
  CHECK(session_id(r1, nb, na) != session_id(r2, nb, na));
  CHECK(session_id(r1, nb, na) != session_id(r1, nc, na));
  CHECK(session_id(r1, nb, na) != session_id(r1, nb, nc));
  CHECK(session_id(r1, nb, na) != session_id(r1, na, nb));  // the order is fixed by role
  CHECK(session_id(r1, nb, na).size() == 32);
}

TEST_CASE("the session id and channel id match values computed independently") {
  // Computed with Python's hashlib (blake2b, digest_size=32) over the same inputs:
  //   blake2b(b"ferry-sid-v2" + b"AAAAAAAAAAAAAAAAAAAA" + bytes([2]*16) + bytes([1]*16))
  auto room = RoomId::parse("AAAAAAAAAAAAAAAAAAAA");
  REQUIRE(room.ok());
  const Bytes na(kHandshakeNonceBytes, 1), nb(kHandshakeNonceBytes, 2);
  CHECK(to_hex(session_id(*room, nb, na)) == "c381642462551fb9f5fb375352cb3fbb836590e902a65240e1a538360f459166");
  // lv_cat: each part with its LEB128 length.
  CHECK(to_hex(channel_id(JoinMethod::kLink)) ==
        "08" + to_hex(as_bytes("ferry-v2")) + "04" + to_hex(as_bytes("link")) + "07" +
            to_hex(as_bytes("creator")) + "06" + to_hex(as_bytes("joiner")));
  CHECK(channel_id(JoinMethod::kLink) != channel_id(JoinMethod::kCode));
}

TEST_CASE("a joiner by link and a creator answering a code hello do not confirm") {
  // The method is bound into CI: a server that rewrites HELLO's method only breaks the run.
  auto b = joiner("orbit-velvet", test_room(), JoinMethod::kLink);
  auto hello = parse_hello(b.hello());
  REQUIRE(hello.ok());
  hello->method = JoinMethod::kCode;
  auto a = creator_for(*hello, "orbit-velvet");
  run(a, b);
  CHECK(a.error().code == "wrong_password");
  CHECK(b.error().code == "wrong_password");
}

TEST_CASE("a rewritten nonce breaks the run instead of reusing a session id") {
  auto b = joiner("orbit-velvet");
  auto hello = parse_hello(b.hello());
  REQUIRE(hello.ok());
  hello->nonce[0] ^= 1;
  auto a = creator_for(*hello, "orbit-velvet");
  run(a, b);
  CHECK(a.error().code == "wrong_password");
  CHECK(b.error().code == "wrong_password");
}

TEST_CASE("hellos are parsed strictly") {
  Hello h{JoinMethod::kCode, {}};
  h.nonce[3] = 9;
  auto back = parse_hello(serialize_hello(h));
  REQUIRE(back.ok());
  CHECK(back->method == JoinMethod::kCode);
  CHECK(back->nonce == h.nonce);
  CHECK(parse_hello(Bytes{}).error().code == "malformed_hello");
  CHECK(parse_hello(Bytes(kHelloBytes - 1, 1)).error().code == "malformed_hello");
  CHECK(parse_hello(Bytes(kHelloBytes + 1, 1)).error().code == "malformed_hello");
  Bytes bad_method(kHelloBytes, 0);
  bad_method[0] = 5;  // 4 is kNearby
  CHECK(parse_hello(bad_method).error().code == "malformed_hello");
  bad_method[0] = 0;
  CHECK(parse_hello(bad_method).error().code == "malformed_hello");
  Bytes password(kHelloBytes, 0);
  password[0] = 3;
  REQUIRE(parse_hello(password).ok());
  CHECK(parse_hello(password)->method == JoinMethod::kPassword);
}

TEST_CASE("handshake does not start with an empty password") {
  auto hs = Handshake::start_joiner(test_room(), JoinMethod::kCode, ByteView(), default_random());
  REQUIRE_FALSE(hs.ok());
  CHECK(hs.error().code == "empty_password");
  auto hs2 = Handshake::start_creator(test_room(), Hello{}, ByteView(), default_random());
  CHECK(hs2.error().code == "empty_password");
}

TEST_CASE("handshake does not start when the random function returns only zeros") {
  auto hs = Handshake::start_creator(test_room(), Hello{}, password("orbit-velvet"),
                                     test::constant_random(0));
  REQUIRE_FALSE(hs.ok());
  CHECK(hs.error().code == "bad_random");
}

TEST_CASE("handshake state names are readable") {
  CHECK(to_string(State::AwaitingShareA) == "waiting for the creator's key share");
  CHECK(to_string(State::Confirmed) == "confirmed");
  CHECK(to_string(State::Failed) == "failed");
}

TEST_CASE("a nearby handshake confirms with the public password, and a server in the middle shows only in the words") {
  const Bytes pw = password_for_nearby();
  const std::string words(pw.begin(), pw.end());
  // The honest run: both sides confirm and agree.
  auto b = joiner(words, test_room(), JoinMethod::kNearby);
  auto a = creator(b, words);
  run(a, b);
  REQUIRE(a.confirmed());
  REQUIRE(b.confirmed());
  CHECK(a.sas_words() == b.sas_words());
  // The server knows the public password too: it can run one handshake with each side, and
  // both confirm. Nothing but comparing the words (they differ) shows it.
  auto b2 = joiner(words, test_room(), JoinMethod::kNearby);
  auto m_as_a = creator(b2, words);
  auto m_as_b = joiner(words, test_room(), JoinMethod::kNearby);
  auto a2 = creator(m_as_b, words);
  run(a2, m_as_b);
  run(m_as_a, b2);
  REQUIRE(a2.confirmed());
  REQUIRE(b2.confirmed());
  CHECK(a2.sas_words() != b2.sas_words());
  // The method is bound in: a nearby joiner and a creator told "code" do not confirm.
  auto b3 = joiner(words, test_room(), JoinMethod::kNearby);
  auto hello = parse_hello(b3.hello());
  REQUIRE(hello.ok());
  hello->method = JoinMethod::kCode;
  auto a3 = creator_for(*hello, words);
  run(a3, b3);
  CHECK(b3.failed());
}
