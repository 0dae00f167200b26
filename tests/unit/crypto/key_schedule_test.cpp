// Tests for crypto/key_schedule: matching opposite keys on both sides, and explicit key
// confirmation that fails on a wrong password and on a reflected tag.
#include "crypto/key_schedule.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using namespace ferry;
using namespace ferry::crypto;
using ferry::crypto::testing::handshake;
using ferry::crypto::testing::same_key;

TEST_CASE("both roles derive matching opposite keys") {
  auto [a, b] = handshake("orbit-velvet", "orbit-velvet");
  CHECK(same_key(a.keys.send_signal, b.keys.recv_signal));
  CHECK(same_key(a.keys.recv_signal, b.keys.send_signal));
  CHECK(same_key(a.keys.send_data, b.keys.recv_data));
  CHECK(same_key(a.keys.recv_data, b.keys.send_data));
  CHECK(same_key(a.keys.confirm_mine, b.keys.confirm_peer));
  CHECK(same_key(a.keys.confirm_peer, b.keys.confirm_mine));
  CHECK(same_key(a.keys.sas, b.keys.sas));
}

TEST_CASE("every direction and purpose has its own key") {
  auto [a, b] = handshake("pw", "pw");
  const SecretKey* all[] = {&a.keys.send_signal, &a.keys.recv_signal,  &a.keys.send_data,
                            &a.keys.recv_data,   &a.keys.confirm_mine, &a.keys.confirm_peer,
                            &a.keys.sas};
  for (size_t i = 0; i < std::size(all); ++i) {
    for (size_t j = i + 1; j < std::size(all); ++j) CHECK_FALSE(same_key(*all[i], *all[j]));
  }
}

TEST_CASE("key schedule is stable for a fixed ISK") {
  // Pins the derivation (labels, context, subkey ids) so peers of different builds agree. The
  // value was computed independently with Python hashlib.blake2b.
  Isk isk;
  for (size_t i = 0; i < isk.bytes.size(); ++i) isk.bytes[i] = uint8_t(i);
  const auto k1 = derive_session_keys(isk, Role::Initiator);
  const auto k2 = derive_session_keys(isk, Role::Initiator);
  CHECK(same_key(k1.send_data, k2.send_data));
  CHECK(to_hex(ByteView(k1.send_signal.data(), kKeyBytes)) ==
        "08d18cfdc3cb835e2b2736560e8516f65327f744110d8f8b8e5ddf2cdde778d8");
}

TEST_CASE("confirmation tags verify when the password matches") {
  auto [a, b] = handshake("orbit-velvet", "orbit-velvet");
  const auto tag_a = confirm_tag(a.keys, a.cpace.sid_output);
  const auto tag_b = confirm_tag(b.keys, b.cpace.sid_output);
  CHECK(verify_peer_confirm(b.keys, b.cpace.sid_output, tag_a).ok());
  CHECK(verify_peer_confirm(a.keys, a.cpace.sid_output, tag_b).ok());
}

TEST_CASE("wrong password makes key confirmation fail") {
  auto [a, b] = handshake("orbit-velvet", "orbit-velvey");
  const auto tag_a = confirm_tag(a.keys, a.cpace.sid_output);
  const auto tag_b = confirm_tag(b.keys, b.cpace.sid_output);
  auto st = verify_peer_confirm(b.keys, b.cpace.sid_output, tag_a);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "bad_confirm");
  CHECK_FALSE(verify_peer_confirm(a.keys, a.cpace.sid_output, tag_b).ok());
}

TEST_CASE("reflected confirmation tag is rejected") {
  auto [a, b] = handshake("pw", "pw");
  const auto tag_a = confirm_tag(a.keys, a.cpace.sid_output);
  CHECK_FALSE(verify_peer_confirm(a.keys, a.cpace.sid_output, tag_a).ok());
  const auto tag_b = confirm_tag(b.keys, b.cpace.sid_output);
  CHECK_FALSE(verify_peer_confirm(b.keys, b.cpace.sid_output, tag_b).ok());
}

TEST_CASE("confirmation tag bound to the transcript, and tampered or short tags fail") {
  auto [a, b] = handshake("pw", "pw");
  auto tag_a = confirm_tag(a.keys, a.cpace.sid_output);
  Bytes other_transcript(a.cpace.sid_output.begin(), a.cpace.sid_output.end());
  other_transcript[0] ^= 1;
  CHECK_FALSE(verify_peer_confirm(b.keys, other_transcript, tag_a).ok());
  for (size_t i = 0; i < tag_a.size(); ++i) {
    auto bad = tag_a;
    bad[i] ^= 0x80;
    CHECK_FALSE(verify_peer_confirm(b.keys, b.cpace.sid_output, bad).ok());
  }
  CHECK_FALSE(verify_peer_confirm(b.keys, b.cpace.sid_output, ByteView(tag_a).first(31)).ok());
  CHECK_FALSE(verify_peer_confirm(b.keys, b.cpace.sid_output, {}).ok());
}
