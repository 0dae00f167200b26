// CPace over ristretto255 / SHA-512, IR mode, per draft-irtf-cfrg-cpace. See cpace.h.
#include "crypto/cpace.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <string>

#include "crypto/sodium_init.h"

namespace ferry::crypto {
namespace {

static_assert(kCpacePointBytes == crypto_core_ristretto255_BYTES);
static_assert(kCpaceScalarBytes == crypto_core_ristretto255_SCALARBYTES);
static_assert(kIskBytes == crypto_hash_sha512_BYTES);

// The draft's label for the session id output.
constexpr std::string_view kSidOutputLabel = "CPaceSidOutput";
// How many times a fresh scalar is drawn if it reduces to zero (probability about 2^-252 per
// draw); a RandomFn that keeps producing zero scalars is broken and we give up.
constexpr int kMaxScalarDraws = 8;

// Bytes LEB128 takes for `n`: 7 bits per byte.
size_t leb128_size(size_t n) {
  size_t bytes = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++bytes;
  }
  return bytes;
}

void append(Bytes& out, ByteView b) {
  out.insert(out.end(), b.begin(), b.end());
}

// The draft's lexiographically_larger: byte-wise, then the longer one wins on a common prefix.
bool lexiographically_larger(ByteView a, ByteView b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] > b[i]) return true;
    if (a[i] < b[i]) return false;
  }
  return a.size() > b.size();
}

std::array<uint8_t, crypto_hash_sha512_BYTES> sha512(ByteView a, ByteView b = {}) {
  std::array<uint8_t, crypto_hash_sha512_BYTES> out{};
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, a.data(), a.size());
  crypto_hash_sha512_update(&st, b.data(), b.size());
  crypto_hash_sha512_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

void wipe(Bytes& b) {
  if (!b.empty()) sodium_memzero(b.data(), b.size());
  b.clear();
}

}  // namespace

Isk::~Isk() {
  sodium_memzero(bytes.data(), bytes.size());
}

Bytes cpace_prepend_len(ByteView data) {
  Bytes out;
  size_t len = data.size();
  do {  // LEB128: 7 bits per byte, low bits first, high bit set while more follow
    uint8_t byte = static_cast<uint8_t>(len & 0x7f);
    len >>= 7;
    if (len != 0) byte |= 0x80;
    out.push_back(byte);
  } while (len != 0);
  append(out, data);
  return out;
}

Bytes cpace_lv_cat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) {
    Bytes one = cpace_prepend_len(p);
    append(out, one);
    wipe(one);  // parts may include the PRS
  }
  return out;
}

Bytes cpace_generator_string(std::string_view dsi, ByteView prs, ByteView ci, ByteView sid,
                             size_t s_in_bytes) {
  const size_t prs_len = leb128_size(prs.size()) + prs.size();
  const size_t dsi_len = leb128_size(dsi.size()) + dsi.size();
  const size_t used = 1 + prs_len + dsi_len;
  const Bytes zpad(s_in_bytes > used ? s_in_bytes - used : 0, 0);
  return cpace_lv_cat({as_bytes(dsi), prs, zpad, ci, sid});
}

CpacePoint cpace_calculate_generator(ByteView prs, ByteView ci, ByteView sid) {
  ensure_sodium_init();
  Bytes gen = cpace_generator_string(kCpaceDsi, prs, ci, sid, kCpaceInputBlockBytes);
  auto h = sha512(gen);
  wipe(gen);
  CpacePoint g{};
  crypto_core_ristretto255_from_hash(g.data(), h.data());
  sodium_memzero(h.data(), h.size());
  return g;
}

Bytes cpace_transcript_ir(ByteView ya, ByteView ada, ByteView yb, ByteView adb) {
  Bytes out = cpace_lv_cat({ya, ada});
  append(out, cpace_lv_cat({yb, adb}));
  return out;
}

Bytes cpace_transcript_oc(ByteView ya, ByteView ada, ByteView yb, ByteView adb) {
  const Bytes a = cpace_lv_cat({ya, ada});
  const Bytes b = cpace_lv_cat({yb, adb});
  Bytes out{'o', 'c'};
  const bool a_first = lexiographically_larger(a, b);
  append(out, a_first ? a : b);
  append(out, a_first ? b : a);
  return out;
}

Isk cpace_derive_isk(ByteView sid, ByteView k, ByteView transcript) {
  const std::string label = std::string(kCpaceDsi) + "_ISK";
  Bytes prefix = cpace_lv_cat({as_bytes(label), sid, k});
  Isk isk;
  isk.bytes = sha512(prefix, transcript);
  wipe(prefix);
  return isk;
}

std::array<uint8_t, kSidOutputBytes> cpace_sid_output(ByteView transcript) {
  return sha512(as_bytes(kSidOutputLabel), transcript);
}

Result<CpacePoint> cpace_scalar_mult_vfy(const uint8_t scalar[kCpaceScalarBytes], ByteView point) {
  ensure_sodium_init();
  CpacePoint out{};
  // libsodium rejects a non-canonical or non-ristretto encoding and an identity result.
  if (point.size() != kCpacePointBytes ||
      crypto_scalarmult_ristretto255(out.data(), scalar, point.data()) != 0) {
    sodium_memzero(out.data(), out.size());
    return make_error("bad_point", "The peer sent an invalid key share; the session is aborted.");
  }
  return out;
}

// ---- Cpace ----

Result<Cpace> Cpace::start(Role role, ByteView prs, ByteView ci, ByteView sid, ByteView ad,
                           const RandomFn& rng) {
  ensure_sodium_init();
  std::array<uint8_t, crypto_core_ristretto255_NONREDUCEDSCALARBYTES> wide{};
  std::array<uint8_t, kCpaceScalarBytes> y{};
  for (int i = 0; i < kMaxScalarDraws && sodium_is_zero(y.data(), y.size()); ++i) {
    rng(wide.data(), wide.size());
    crypto_core_ristretto255_scalar_reduce(y.data(), wide.data());
  }
  sodium_memzero(wide.data(), wide.size());
  if (sodium_is_zero(y.data(), y.size())) {
    return make_error("bad_random", "The random generator failed to produce a key.");
  }
  auto r = start_with_scalar(role, prs, ci, sid, ad, y.data());
  sodium_memzero(y.data(), y.size());
  return r;
}

Result<Cpace> Cpace::start_with_scalar(Role role, ByteView prs, ByteView ci, ByteView sid,
                                       ByteView ad, const uint8_t scalar[kCpaceScalarBytes]) {
  Cpace c;
  c.role_ = role;
  std::copy(scalar, scalar + kCpaceScalarBytes, c.scalar_.begin());
  c.sid_.assign(sid.begin(), sid.end());
  c.ad_.assign(ad.begin(), ad.end());
  CpacePoint g = cpace_calculate_generator(prs, ci, sid);
  const int rc = crypto_scalarmult_ristretto255(c.share_.data(), c.scalar_.data(), g.data());
  sodium_memzero(g.data(), g.size());
  if (rc != 0) {  // only a zero scalar can get here
    return make_error("bad_scalar", "Could not compute the key share.");
  }
  return c;
}

Cpace::Cpace(Cpace&& other) noexcept
    : role_(other.role_),
      scalar_(other.scalar_),
      share_(other.share_),
      sid_(std::move(other.sid_)),
      ad_(std::move(other.ad_)) {
  other.wipe();
}

Cpace& Cpace::operator=(Cpace&& other) noexcept {
  if (this != &other) {
    wipe();
    role_ = other.role_;
    scalar_ = other.scalar_;
    share_ = other.share_;
    sid_ = std::move(other.sid_);
    ad_ = std::move(other.ad_);
    other.wipe();
  }
  return *this;
}

Cpace::~Cpace() {
  wipe();
}

void Cpace::wipe() {
  sodium_memzero(scalar_.data(), scalar_.size());
}

Result<CpaceResult> Cpace::finish(ByteView peer_share, ByteView peer_ad) const {
  auto k = cpace_scalar_mult_vfy(scalar_.data(), peer_share);
  if (!k) return k.error();
  const bool initiator = role_ == Role::Initiator;
  const Bytes transcript = initiator ? cpace_transcript_ir(share_, ad_, peer_share, peer_ad)
                                     : cpace_transcript_ir(peer_share, peer_ad, share_, ad_);
  CpaceResult out;
  out.isk = cpace_derive_isk(sid_, *k, transcript);
  out.sid_output = cpace_sid_output(transcript);
  sodium_memzero(k->data(), k->size());
  return out;
}

}  // namespace ferry::crypto
