// Tests for crypto/sealed_channel: round trip, tampering, replay, reordering, reflection, sizes.
#include "crypto/sealed_channel.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using namespace ferry;
using namespace ferry::crypto;
using ferry::crypto::testing::key_of;

namespace {

Bytes seal_ok(SealedSender& s, std::string_view text) {
  auto r = s.seal(as_bytes(text));
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("sealed message round-trips") {
  SealedSender tx(key_of(1), Role::Initiator);
  SealedReceiver rx(key_of(1), Role::Initiator);
  for (std::string_view msg : {"offer", "candidate 1", "candidate 2"}) {
    const Bytes sealed = seal_ok(tx, msg);
    CHECK(sealed.size() == msg.size() + kSealedOverheadBytes);
    auto r = rx.open(sealed);
    REQUIRE(r.ok());
    CHECK(as_string(*r) == msg);
  }
  CHECK(rx.last_seq() == 3);
}

TEST_CASE("sealed messages between real session keys work both ways") {
  auto [a, b] = ferry::crypto::testing::handshake("pw", "pw");
  SealedSender a_tx(a.keys.send_signal, Role::Initiator);
  SealedReceiver b_rx(b.keys.recv_signal, Role::Initiator);
  SealedSender b_tx(b.keys.send_signal, Role::Responder);
  SealedReceiver a_rx(a.keys.recv_signal, Role::Responder);
  auto m1 = b_rx.open(seal_ok(a_tx, "offer"));
  auto m2 = a_rx.open(seal_ok(b_tx, "answer"));
  REQUIRE(m1.ok());
  REQUIRE(m2.ok());
  CHECK(as_string(*m1) == "offer");
  CHECK(as_string(*m2) == "answer");
}

TEST_CASE("reflected sealed message is rejected") {
  auto [a, b] = ferry::crypto::testing::handshake("pw", "pw");
  SealedSender a_tx(a.keys.send_signal, Role::Initiator);
  SealedReceiver a_rx(a.keys.recv_signal, Role::Responder);
  auto r = a_rx.open(seal_ok(a_tx, "offer"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bad_mac");
}

TEST_CASE("same key but the other direction label is rejected") {
  SealedSender tx(key_of(1), Role::Initiator);
  SealedReceiver rx(key_of(1), Role::Responder);
  auto r = rx.open(seal_ok(tx, "x"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bad_mac");
}

TEST_CASE("tampering with any byte of a sealed message is detected") {
  SealedSender tx(key_of(2), Role::Responder);
  const Bytes sealed = seal_ok(tx, "hello there");
  for (size_t i = 0; i < sealed.size(); ++i) {
    SealedReceiver rx(key_of(2), Role::Responder);
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    auto r = rx.open(bad);
    REQUIRE_FALSE(r.ok());
    // Byte 0 is the seq: 1 -> 0 is "not above the last accepted"; the rest fail the MAC.
    CHECK(r.error().code == (i == 0 ? "replay" : "bad_mac"));
    CHECK(rx.last_seq() == 0);
  }
}

TEST_CASE("replayed sealed message is rejected") {
  SealedSender tx(key_of(3), Role::Initiator);
  SealedReceiver rx(key_of(3), Role::Initiator);
  const Bytes m1 = seal_ok(tx, "one");
  REQUIRE(rx.open(m1).ok());
  auto r = rx.open(m1);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "replay");
}

TEST_CASE("reordered sealed message is rejected, gaps are allowed") {
  SealedSender tx(key_of(4), Role::Initiator);
  SealedReceiver rx(key_of(4), Role::Initiator);
  const Bytes m1 = seal_ok(tx, "one");
  const Bytes m2 = seal_ok(tx, "two");
  const Bytes m3 = seal_ok(tx, "three");
  REQUIRE(rx.open(m2).ok());  // m1 dropped by the relay: fine
  auto r = rx.open(m1);       // arrives late: refused
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "replay");
  CHECK(rx.open(m3).ok());
}

TEST_CASE("a failed message does not advance the receiver") {
  SealedSender tx(key_of(5), Role::Initiator);
  SealedReceiver rx(key_of(5), Role::Initiator);
  Bytes m1 = seal_ok(tx, "one");
  Bytes forged = m1;
  forged[0] = 0x7f;  // a forged high seq must not block later genuine messages
  CHECK_FALSE(rx.open(forged).ok());
  CHECK(rx.open(m1).ok());
}

TEST_CASE("truncated sealed message is malformed or fails the MAC") {
  SealedSender tx(key_of(6), Role::Initiator);
  const Bytes sealed = seal_ok(tx, "some text");
  for (size_t n = 0; n < sealed.size(); ++n) {
    SealedReceiver rx(key_of(6), Role::Initiator);
    auto r = rx.open(ByteView(sealed).first(n));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == (n < kSealedOverheadBytes ? "malformed" : "bad_mac"));
  }
}

TEST_CASE("empty plaintext seals and opens") {
  SealedSender tx(key_of(7), Role::Initiator);
  SealedReceiver rx(key_of(7), Role::Initiator);
  auto s = tx.seal({});
  REQUIRE(s.ok());
  CHECK(s->size() == kSealedOverheadBytes);
  auto r = rx.open(*s);
  REQUIRE(r.ok());
  CHECK(r->empty());
}

TEST_CASE("maximum size plaintext round-trips, one byte more is refused") {
  SealedSender tx(key_of(8), Role::Initiator);
  SealedReceiver rx(key_of(8), Role::Initiator);
  Bytes big(kMaxSealedPlaintextBytes, 0x5a);
  auto s = tx.seal(big);
  REQUIRE(s.ok());
  auto r = rx.open(*s);
  REQUIRE(r.ok());
  CHECK(*r == big);
  big.push_back(0);
  auto too = tx.seal(big);
  REQUIRE_FALSE(too.ok());
  CHECK(too.error().code == "too_large");
  Bytes oversized(kMaxSealedPlaintextBytes + kSealedOverheadBytes + 1, 0);
  oversized[0] = 9;
  auto m = rx.open(oversized);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code == "malformed");
}

TEST_CASE("sealed wire format is stable") {
  // seq 1, key 0x09.., sender A, plaintext "hi": pins nonce, AD and layout across builds.
  // Computed independently in Python (HChaCha20 + ChaCha20-Poly1305 from pyca/cryptography).
  SealedSender tx(key_of(9), Role::Initiator);
  CHECK(to_hex(seal_ok(tx, "hi")) == "0100000000000000166aea1176c331ef7a252e3705b2f3143b6d");
}
