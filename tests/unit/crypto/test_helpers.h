// Shared helpers for the crypto tests: fixed keys, and a full CPace exchange with both sides'
// session keys.
#pragma once

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <utility>

#include "crypto/cpace.h"
#include "crypto/key_schedule.h"

namespace ferry::crypto::testing {

struct Side {
  CpaceResult cpace;
  SessionKeys keys;
};

// Both sides of one exchange; `prs_b` may differ from `prs_a` to model a wrong password.
inline std::pair<Side, Side> handshake(std::string_view prs_a, std::string_view prs_b) {
  const Bytes sid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  auto a = Cpace::start(Role::Initiator, as_bytes(prs_a), {}, sid, {}, default_random());
  auto b = Cpace::start(Role::Responder, as_bytes(prs_b), {}, sid, {}, default_random());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto ra = a->finish(b->share(), b->ad());
  auto rb = b->finish(a->share(), a->ad());
  REQUIRE(ra.ok());
  REQUIRE(rb.ok());
  Side sa{*ra, derive_session_keys(ra->isk, Role::Initiator)};
  Side sb{*rb, derive_session_keys(rb->isk, Role::Responder)};
  return {std::move(sa), std::move(sb)};
}

inline SecretKey key_of(uint8_t fill) {
  std::array<uint8_t, kKeyBytes> k{};
  k.fill(fill);
  return SecretKey(k.data());
}

inline bool same_key(const SecretKey& x, const SecretKey& y) {
  return std::equal(x.data(), x.data() + kKeyBytes, y.data());
}

}  // namespace ferry::crypto::testing
