// CPace password-authenticated key exchange over ristretto255 with SHA-512, initiator-responder
// (IR) mode, following draft-irtf-cfrg-cpace (the "CPaceRistretto255" cipher suite).
//
//   A (initiator, room creator)                          B (responder, joiner)
//   g  = from_hash(SHA-512(generator_string(DSI, PRS, CI, sid, 128)))     (both sides)
//   ya <- random scalar, Ya = ya*g                       yb <- random scalar, Yb = yb*g
//                  ---------------- Ya, ADa ---------------->
//                  <--------------- Yb, ADb -----------------
//   K = ya*Yb (abort on bad encoding / identity)         K = yb*Ya (same checks)
//   ISK = SHA-512(lv_cat(DSI||"_ISK", sid, K) || lv_cat(Ya,ADa) || lv_cat(Yb,ADb))
//
// The PRS (the link secret or the typed password) never leaves this object. A wrong password
// yields a different ISK; key_schedule.h's explicit confirmation turns that into an error.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace ferry::crypto {

constexpr size_t kCpacePointBytes = 32;        // crypto_core_ristretto255_BYTES
constexpr size_t kCpaceScalarBytes = 32;       // crypto_core_ristretto255_SCALARBYTES
constexpr size_t kIskBytes = 64;               // SHA-512 output: the intermediate session key
constexpr size_t kSidOutputBytes = 64;         // SHA-512 output
constexpr size_t kCpaceInputBlockBytes = 128;  // s_in_bytes: SHA-512's input block size
// The draft's domain separation identifier for this suite; it is part of every generator.
constexpr std::string_view kCpaceDsi = "CPaceRistretto255";

// Protocol roles. A = the room creator = CPace initiator; B = the joiner = responder.
enum class Role { Initiator, Responder };

using CpacePoint = std::array<uint8_t, kCpacePointBytes>;

// The intermediate session key; wiped when destroyed.
struct Isk {
  Isk() = default;
  Isk(const Isk&) = default;
  Isk& operator=(const Isk&) = default;
  ~Isk();
  std::array<uint8_t, kIskBytes> bytes{};
};

// What a finished exchange yields. sid_output binds both shares and both ADs; use it as the
// transcript for key confirmation and the SAS.
struct CpaceResult {
  Isk isk;
  std::array<uint8_t, kSidOutputBytes> sid_output{};
};

// ---- Building blocks of the draft, exposed for the test vectors ----

// LEB128 length of `data`, then `data`.
Bytes cpace_prepend_len(ByteView data);
// prepend_len(a0) || prepend_len(a1) || ...
Bytes cpace_lv_cat(std::initializer_list<ByteView> parts);
// lv_cat(DSI, PRS, zero padding, CI, sid); the padding fills SHA-512's first block.
Bytes cpace_generator_string(std::string_view dsi, ByteView prs, ByteView ci, ByteView sid,
                             size_t s_in_bytes);
// g = crypto_core_ristretto255_from_hash(SHA-512(generator_string(...))).
CpacePoint cpace_calculate_generator(ByteView prs, ByteView ci, ByteView sid);
// lv_cat(Ya, ADa) || lv_cat(Yb, ADb)
Bytes cpace_transcript_ir(ByteView ya, ByteView ada, ByteView yb, ByteView adb);
// "oc" || larger || smaller of lv_cat(Ya, ADa), lv_cat(Yb, ADb) (symmetric mode).
Bytes cpace_transcript_oc(ByteView ya, ByteView ada, ByteView yb, ByteView adb);
// ISK = SHA-512(lv_cat(DSI || "_ISK", sid, K) || transcript)
Isk cpace_derive_isk(ByteView sid, ByteView k, ByteView transcript);
// SHA-512("CPaceSidOutput" || transcript)
std::array<uint8_t, kSidOutputBytes> cpace_sid_output(ByteView transcript);
// scalar * point, rejecting an invalid encoding or an identity result ("bad_point").
Result<CpacePoint> cpace_scalar_mult_vfy(const uint8_t scalar[kCpaceScalarBytes], ByteView point);

// ---- One party of an exchange ----
//
// Inputs: `prs` is the link secret or the typed password. `sid` should be unique per session
// and known to both sides before the exchange (the room id serves); `ci` names the channel and
// may be empty. Both must be equal on both sides, or the ISKs differ and confirmation fails.
class Cpace {
 public:
  // Samples the secret scalar from `rng`. `ad` is this party's associated data (may be empty).
  static Result<Cpace> start(Role role, ByteView prs, ByteView ci, ByteView sid, ByteView ad,
                             const RandomFn& rng);
  // Deterministic variant taking the scalar, for the draft's test vectors only.
  static Result<Cpace> start_with_scalar(Role role, ByteView prs, ByteView ci, ByteView sid,
                                         ByteView ad, const uint8_t scalar[kCpaceScalarBytes]);

  Cpace(Cpace&& other) noexcept;
  Cpace& operator=(Cpace&& other) noexcept;
  Cpace(const Cpace&) = delete;
  Cpace& operator=(const Cpace&) = delete;
  ~Cpace();

  Role role() const { return role_; }
  // Our public share Y, to send to the peer together with our AD.
  const CpacePoint& share() const { return share_; }
  ByteView ad() const { return ad_; }

  // Combines with the peer's share and AD. Fails with "bad_point" on an invalid encoding or an
  // identity result; the caller must then abort the session.
  Result<CpaceResult> finish(ByteView peer_share, ByteView peer_ad) const;

 private:
  Cpace() = default;
  void wipe();

  Role role_ = Role::Initiator;
  std::array<uint8_t, kCpaceScalarBytes> scalar_{};
  CpacePoint share_{};
  Bytes sid_;
  Bytes ad_;
};

}  // namespace ferry::crypto
