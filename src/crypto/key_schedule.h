// Session key schedule: from CPace's ISK to one key per direction and purpose, plus explicit
// key confirmation.
//
//   master = BLAKE2b-256(key = ISK, "ferry-master-v1")
//   subkey i = crypto_kdf_derive_from_key(master, id = i, ctx = "ferrykey")
//     1 signal A->B   2 signal B->A   3 data A->B   4 data B->A
//     5 confirm A     6 confirm B     7 SAS
//
// Confirmation: each side sends tag = HMAC-SHA-512-256(confirm_<own role>, label || role ||
// transcript) and checks the peer's tag under the peer's confirm key. A wrong password gives
// different keys, so the check fails; a reflected tag fails because the keys are per role.
// Nothing else may be sent before the peer's tag has verified.
//
//   A                                              B
//   ---- Ya, ADa ---------------------------------->
//   <--- Yb, ADb, tag_B ---------------------------  (B has the ISK once it has Ya)
//   verify tag_B; ---- tag_A ---------------------->  verify tag_A
//   sealed messages may flow from here on, in both directions
//
// Sending tag_B early is safe: a tag only lets an attacker test the one password guess it used
// for the exchange, which CPace already grants per online attempt.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/chunk_aead.h"
#include "crypto/cpace.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::crypto {

constexpr size_t kConfirmTagBytes = 32;  // crypto_auth_BYTES (HMAC-SHA-512-256)
using ConfirmTag = std::array<uint8_t, kConfirmTagBytes>;

// Keys seen from one side: "send" is our direction, "recv" the peer's.
struct SessionKeys {
  Role role = Role::Initiator;
  SecretKey send_signal;
  SecretKey recv_signal;
  SecretKey send_data;
  SecretKey recv_data;
  SecretKey confirm_mine;
  SecretKey confirm_peer;
  SecretKey sas;
};

SessionKeys derive_session_keys(const Isk& isk, Role role);

// Our confirmation tag, to send to the peer. `transcript` is CpaceResult::sid_output.
ConfirmTag confirm_tag(const SessionKeys& keys, ByteView transcript);
// Checks the peer's tag in constant time; Error{"bad_confirm"} if the password differed.
Status verify_peer_confirm(const SessionKeys& keys, ByteView transcript, ByteView peer_tag);

}  // namespace ferry::crypto
