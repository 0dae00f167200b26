// Tests for crypto/cpace against the ristretto255 test vectors of draft-irtf-cfrg-cpace (the
// values are copied here on purpose: tests must not depend on files outside the repo), and the
// behaviour of a real exchange.
#include "crypto/cpace.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using namespace ferry;
using namespace ferry::crypto;

namespace {

// Draft test vectors, "G_Coffee25519" section (the ristretto255 suite).
constexpr const char* kPrs = "50617373776f7264";  // "Password"
constexpr const char* kCi = "0b415f696e69746961746f720b425f726573706f6e646572";
constexpr const char* kSid = "7e4b4791d6a8ef019b936c79fb7f2c57";
constexpr const char* kG = "222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56";
constexpr const char* kYaScalar =
    "da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08";
constexpr const char* kAda = "414461";
constexpr const char* kYa = "d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157";
constexpr const char* kYbScalar =
    "d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d";
constexpr const char* kAdb = "414462";
constexpr const char* kYb = "3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258";
constexpr const char* kK = "80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f";
constexpr const char* kIskIr =
    "b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dcae7b35cd"
    "2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c3fa2068af7900447";
constexpr const char* kIskSy =
    "544199d71f62f8d9a1fee55727e24fe4a45844593c2b6013c4fa3969d0e5debb"
    "2244675c0b43397cbb68d342b01fc0f98fc961469a25134de9f0f813c1a57476";
constexpr const char* kSidOutputIr =
    "bb1c449b35f0ea79a65c209f329a693d475e0ce2387bed9fe4b78f60b2a27c21"
    "9813fb2cfe175ef40d2222d9261e66da7d78f7c55a303b1b8611dcdfab880c47";
constexpr const char* kSidOutputOc =
    "10d5941d4933497fe31b9188d690b84465e2a2d158332a7267284a071a8d0876"
    "fc5c8c329dc735d59a9f8ef6623ee23924704a2f929dd631ca981227ee82fff2";
// "G_Coffee25519_points" section.
constexpr const char* kValidS = "7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05";
constexpr const char* kValidX = "2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c";
constexpr const char* kValidSX = "7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e";
constexpr const char* kInvalidY1 =
    "2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c";
constexpr const char* kInvalidY2 =
    "0000000000000000000000000000000000000000000000000000000000000000";

Bytes hex(const char* s) {
  auto b = from_hex(s);
  REQUIRE(b.has_value());
  return *b;
}

// A deterministic RandomFn for tests: a counter stream, different per seed.
RandomFn counter_random(uint8_t seed) {
  return [seed, n = uint8_t(0)](uint8_t* out, size_t len) mutable {
    for (size_t i = 0; i < len; ++i) out[i] = uint8_t(seed * 101 + n++);
  };
}

}  // namespace

TEST_CASE("prepend_len uses LEB128 lengths") {
  CHECK(cpace_prepend_len({}) == Bytes{0x00});
  CHECK(cpace_prepend_len(as_bytes("1234")) == Bytes{0x04, '1', '2', '3', '4'});
  Bytes b127(127, 0xaa), b128(128, 0xaa);
  const Bytes p127 = cpace_prepend_len(b127);
  CHECK(p127.size() == 128);
  CHECK(p127[0] == 0x7f);
  const Bytes p128 = cpace_prepend_len(b128);
  CHECK(p128.size() == 130);
  CHECK(p128[0] == 0x80);
  CHECK(p128[1] == 0x01);
}

TEST_CASE("lv_cat concatenates length-prefixed parts") {
  // From the draft: lv_cat(b"1234", b"5", b"", b"678") = 0x04"1234" 0x01"5" 0x00 0x03"678".
  CHECK(to_hex(cpace_lv_cat({as_bytes("1234"), as_bytes("5"), ByteView{}, as_bytes("678")})) ==
        "043132333401350003363738");
}

TEST_CASE("generator string pads the PRS to fill the first hash block") {
  const Bytes gen =
      cpace_generator_string(kCpaceDsi, hex(kPrs), hex(kCi), hex(kSid), kCpaceInputBlockBytes);
  // lv(DSI) = 1+17, lv(PRS) = 1+8, zero padding = 128-1-9-18 = 100 with 1 length byte,
  // lv(CI) = 1+24, lv(sid) = 1+16.
  CHECK(gen.size() == 18 + 9 + 101 + 25 + 17);
  CHECK(gen[0] == 17);
  CHECK(gen[18] == 8);
  CHECK(gen[27] == 100);
}

TEST_CASE("generator matches the draft's ristretto255 vector") {
  CHECK(to_hex(cpace_calculate_generator(hex(kPrs), hex(kCi), hex(kSid))) == kG);
}

TEST_CASE("shares, K and ISK_IR match the draft's vectors") {
  const Bytes ya = hex(kYaScalar), yb = hex(kYbScalar);
  auto a = Cpace::start_with_scalar(Role::Initiator, hex(kPrs), hex(kCi), hex(kSid), hex(kAda),
                                    ya.data());
  auto b = Cpace::start_with_scalar(Role::Responder, hex(kPrs), hex(kCi), hex(kSid), hex(kAdb),
                                    yb.data());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(to_hex(a->share()) == kYa);
  CHECK(to_hex(b->share()) == kYb);

  auto k_a = cpace_scalar_mult_vfy(ya.data(), hex(kYb));
  auto k_b = cpace_scalar_mult_vfy(yb.data(), hex(kYa));
  REQUIRE(k_a.ok());
  REQUIRE(k_b.ok());
  CHECK(to_hex(*k_a) == kK);
  CHECK(to_hex(*k_b) == kK);

  auto ra = a->finish(hex(kYb), hex(kAdb));
  auto rb = b->finish(hex(kYa), hex(kAda));
  REQUIRE(ra.ok());
  REQUIRE(rb.ok());
  CHECK(to_hex(ra->isk.bytes) == kIskIr);
  CHECK(to_hex(rb->isk.bytes) == kIskIr);
  CHECK(to_hex(ra->sid_output) == kSidOutputIr);
  CHECK(to_hex(rb->sid_output) == kSidOutputIr);
}

TEST_CASE("symmetric-mode ISK and sid output match the draft's vectors") {
  const Bytes transcript = cpace_transcript_oc(hex(kYa), hex(kAda), hex(kYb), hex(kAdb));
  CHECK(to_hex(cpace_derive_isk(hex(kSid), hex(kK), transcript).bytes) == kIskSy);
  CHECK(to_hex(cpace_sid_output(transcript)) == kSidOutputOc);
  // Ordered concatenation does not depend on who is "a".
  CHECK(cpace_transcript_oc(hex(kYb), hex(kAdb), hex(kYa), hex(kAda)) == transcript);
}

TEST_CASE("valid point vector: scalar_mult_vfy gives the draft's value") {
  auto r = cpace_scalar_mult_vfy(hex(kValidS).data(), hex(kValidX));
  REQUIRE(r.ok());
  CHECK(to_hex(*r) == kValidSX);
}

TEST_CASE("invalid encoding and identity shares are rejected") {
  const Bytes s = hex(kValidS);
  for (const char* bad : {kInvalidY1, kInvalidY2}) {
    auto r = cpace_scalar_mult_vfy(s.data(), hex(bad));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_point");
  }
  CHECK_FALSE(cpace_scalar_mult_vfy(s.data(), Bytes(31, 0x01)).ok());  // wrong length
  CHECK_FALSE(cpace_scalar_mult_vfy(s.data(), Bytes{}).ok());

  auto a = Cpace::start(Role::Initiator, hex(kPrs), hex(kCi), hex(kSid), {}, default_random());
  REQUIRE(a.ok());
  for (const char* bad : {kInvalidY1, kInvalidY2}) {
    auto r = a->finish(hex(bad), {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_point");
  }
}

TEST_CASE("exchange with the same password yields the same ISK on both sides") {
  auto [a, b] = ferry::crypto::testing::handshake("orbit", "orbit");
  CHECK(a.cpace.isk.bytes == b.cpace.isk.bytes);
  CHECK(a.cpace.sid_output == b.cpace.sid_output);
}

TEST_CASE("exchange with different passwords yields different ISKs") {
  auto [a, b] = ferry::crypto::testing::handshake("orbit", "orbiT");
  CHECK(a.cpace.isk.bytes != b.cpace.isk.bytes);
}

TEST_CASE("a changed AD or sid changes the ISK") {
  // The AD and sid travel unauthenticated; binding them into the ISK makes tampering fail at
  // key confirmation.
  auto run = [](ByteView sid_a, ByteView sid_b, ByteView ad_a_seen_by_b) {
    auto a =
        Cpace::start(Role::Initiator, as_bytes("pw"), {}, sid_a, as_bytes("A"), counter_random(3));
    auto b =
        Cpace::start(Role::Responder, as_bytes("pw"), {}, sid_b, as_bytes("B"), counter_random(4));
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto ra = a->finish(b->share(), b->ad());
    auto rb = b->finish(a->share(), ad_a_seen_by_b);
    REQUIRE(ra.ok());
    REQUIRE(rb.ok());
    return ra->isk.bytes == rb->isk.bytes;
  };
  const Bytes sid1{1, 2, 3}, sid2{1, 2, 4};
  CHECK(run(sid1, sid1, as_bytes("A")));
  CHECK_FALSE(run(sid1, sid1, as_bytes("X")));
  CHECK_FALSE(run(sid1, sid2, as_bytes("A")));
}

TEST_CASE("scalar is drawn from the handed-in RandomFn") {
  auto a1 = Cpace::start(Role::Initiator, as_bytes("pw"), {}, {}, {}, counter_random(7));
  auto a2 = Cpace::start(Role::Initiator, as_bytes("pw"), {}, {}, {}, counter_random(7));
  auto a3 = Cpace::start(Role::Initiator, as_bytes("pw"), {}, {}, {}, counter_random(8));
  REQUIRE(a1.ok());
  REQUIRE(a2.ok());
  REQUIRE(a3.ok());
  CHECK(a1->share() == a2->share());
  CHECK(a1->share() != a3->share());
}

TEST_CASE("a RandomFn that only yields zeros is refused") {
  RandomFn zeros = [](uint8_t* out, size_t len) { std::fill(out, out + len, uint8_t(0)); };
  auto a = Cpace::start(Role::Initiator, as_bytes("pw"), {}, {}, {}, zeros);
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code == "bad_random");
}
