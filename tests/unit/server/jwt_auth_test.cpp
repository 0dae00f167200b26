// Tests of the JWT hook's pieces without sockets (server/jwt_auth.h): where the token is found,
// which entries need one, how a key file is read, and the claim checks at fixed times.
#include "jwt_auth.h"

#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include "../../jwt_tokens.h"

using namespace ferry::server;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes: the minimum
constexpr int64_t kNow = 1'800'000'000;

// An HS256 token with these claims (JSON object members, without braces), signed with key.
std::string hs256(const std::string& key, const std::string& claims) {
  std::string token = ferry::testing::sign_jwt(JWT_ALG_HS256, key, "{" + claims + "}");
  REQUIRE_FALSE(token.empty());
  return token;
}

std::string exp_at(int64_t t) {
  return "\"exp\":" + std::to_string(t);
}

JwtVerifier verifier(const std::string& key, const std::string& aud = "",
                     const std::string& iss = "") {
  auto v = JwtVerifier::from_key(key, aud, iss);
  REQUIRE(v.ok());
  return *v;
}

std::string pem(EVP_PKEY* key, bool is_private) {
  return ferry::testing::pem_of(key, is_private);
}

}  // namespace

TEST_CASE("the token is taken from the subprotocol list first, then from the jwt query parameter") {
  CHECK(jwt_from_request("ferry.v1, ferry.jwt.aa.bb.cc", "/ws") == "aa.bb.cc");
  CHECK(jwt_from_request("ferry.jwt.aa.bb.cc,ferry.v1", "/ws?jwt=x.y.z") == "aa.bb.cc");
  CHECK(jwt_from_request("ferry.v1", "/ws?jwt=x.y.z") == "x.y.z");
  CHECK(jwt_from_request("ferry.v1", "/ws?a=1&jwt=x.y.z&b=2") == "x.y.z");
  CHECK(jwt_from_request("ferry.v1", "/ws?notjwt=x.y.z").empty());
  CHECK(jwt_from_request("ferry.v1", "/ws").empty());
  CHECK(jwt_from_request("", "/ws?").empty());
}

TEST_CASE("--jwt-required picks the entries that need a token") {
  CHECK_FALSE(jwt_needed(JwtRequired::kNone, true));
  CHECK(jwt_needed(JwtRequired::kCreate, true));
  CHECK_FALSE(jwt_needed(JwtRequired::kCreate, false));
  CHECK_FALSE(jwt_needed(JwtRequired::kJoin, true));
  CHECK(jwt_needed(JwtRequired::kJoin, false));
  CHECK(jwt_needed(JwtRequired::kBoth, true));
  CHECK(jwt_needed(JwtRequired::kBoth, false));
}

TEST_CASE("a key file is a public key in PEM or else a secret of at least 32 bytes") {
  CHECK(verifier(kSecret).alg() == JwtAlg::kHs256);
  // One trailing newline is the editor's, not the secret's.
  auto with_newline = verifier(kSecret + "\n");
  CHECK(with_newline.check(hs256(kSecret, exp_at(kNow + 60)), kNow).verdict == JwtVerdict::kValid);
  CHECK_FALSE(JwtVerifier::from_key("short", "", "").ok());
  CHECK_FALSE(JwtVerifier::from_key(kSecret.substr(1) + "\n", "", "").ok());

  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  REQUIRE(rsa);
  CHECK(verifier(pem(rsa, false)).alg() == JwtAlg::kRs256);
  auto priv = JwtVerifier::from_key(pem(rsa, true), "", "");
  REQUIRE_FALSE(priv.ok());
  CHECK(priv.error().message.find("PUBLIC KEY") != std::string::npos);
  EVP_PKEY_free(rsa);
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  REQUIRE(ec);
  CHECK(verifier(pem(ec, false)).alg() == JwtAlg::kEs256);
  EVP_PKEY_free(ec);
  EVP_PKEY* p384 = EVP_EC_gen("P-384");
  REQUIRE(p384);
  CHECK_FALSE(JwtVerifier::from_key(pem(p384, false), "", "").ok());
  EVP_PKEY_free(p384);
  CHECK_FALSE(
      JwtVerifier::from_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "", "")
          .ok());
}

TEST_CASE("exp and nbf are checked with the leeway at the given time") {
  auto v = verifier(kSecret);
  CHECK(v.check("", kNow).verdict == JwtVerdict::kAbsent);
  CHECK(v.check(hs256(kSecret, exp_at(kNow + 1)), kNow).verdict == JwtVerdict::kValid);
  CHECK(v.check(hs256(kSecret, exp_at(kNow - kJwtLeewaySeconds + 1)), kNow).verdict ==
        JwtVerdict::kValid);
  CHECK(v.check(hs256(kSecret, exp_at(kNow - kJwtLeewaySeconds)), kNow).verdict ==
        JwtVerdict::kExpired);
  CHECK(v.check(hs256(kSecret, "\"sub\":\"x\""), kNow).reason == "no_exp");
  CHECK(v.check(hs256(kSecret, "\"exp\":\"tomorrow\""), kNow).reason == "no_exp");
  const std::string exp = exp_at(kNow + 600) + ",";
  CHECK(v.check(hs256(kSecret, exp + "\"nbf\":" + std::to_string(kNow + kJwtLeewaySeconds)), kNow)
            .verdict == JwtVerdict::kValid);
  CHECK(
      v.check(hs256(kSecret, exp + "\"nbf\":" + std::to_string(kNow + kJwtLeewaySeconds + 1)), kNow)
          .reason == "not_yet_valid");
}

TEST_CASE("aud and iss are required when configured") {
  auto v = verifier(kSecret, "app", "https://issuer.example");
  const std::string exp = exp_at(kNow + 600) + ",";
  CHECK(v.check(hs256(kSecret, exp + R"("aud":"app","iss":"https://issuer.example")"), kNow)
            .verdict == JwtVerdict::kValid);
  CHECK(v.check(hs256(kSecret, exp + R"("aud":["x","app"],"iss":"https://issuer.example")"), kNow)
            .verdict == JwtVerdict::kValid);
  CHECK(
      v.check(hs256(kSecret, exp + R"("aud":["x"],"iss":"https://issuer.example")"), kNow).reason ==
      "wrong_audience");
  CHECK(v.check(hs256(kSecret, exp + R"("iss":"https://issuer.example")"), kNow).reason ==
        "wrong_audience");
  CHECK(v.check(hs256(kSecret, exp + R"("aud":"app","iss":"https://issuer.example/")"), kNow)
            .reason == "wrong_issuer");
  CHECK(v.check(hs256(kSecret, exp + R"("aud":"app")"), kNow).reason == "wrong_issuer");
}

TEST_CASE("malformed tokens, none and other algorithms are refused before any signature check") {
  auto v = verifier(kSecret);
  const std::string good = hs256(kSecret, exp_at(kNow + 600));
  const std::string body = good.substr(good.find('.') + 1);
  // {"alg":"none"} and {"alg":"RS256"}, with the good token's claims.
  CHECK(v.check("eyJhbGciOiJub25lIn0." + body.substr(0, body.find('.')) + ".", kNow).reason ==
        "alg_none");
  CHECK(v.check("eyJhbGciOiJSUzI1NiJ9." + body, kNow).reason == "alg_mismatch");
  CHECK(v.check(good + ".x.y", kNow).reason == "malformed");  // JWE-shaped
  CHECK(v.check("a b.c.d", kNow).reason == "malformed");
  CHECK(v.check(std::string(kMaxJwtBytes + 1, 'a'), kNow).reason == "too_long");
  CHECK(v.check("e30." + body, kNow).reason == "malformed_header");  // {} has no alg
  CHECK(v.check(hs256(kSecret + "x", exp_at(kNow + 600)), kNow).reason == "bad_signature");
}
