// The JWT hook through the real server (--jwt-key, --jwt-required; server/jwt_auth.h): tokens in
// the subprotocol list and in the query, every claim check, the refused algorithms, and which
// entries need a token. Keys and tokens are made at test time (OpenSSL and libjwt), none is
// committed.
#include <openssl/evp.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../jwt_tokens.h"
#include "peers.h"
#include "protocol/signal.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

constexpr const char* kAudience = "ferry-test";
constexpr const char* kIssuer = "https://site.example";
// An HS256 secret of 32 bytes (the server's minimum), different for every run.
std::string random_secret() {
  std::string s;
  std::ifstream r("/dev/urandom", std::ios::binary);
  for (int i = 0; i < 32; ++i) s += "0123456789abcdef"[static_cast<unsigned char>(r.get()) % 16];
  return s;
}

struct KeyPair {
  std::string public_pem, private_pem;
};

KeyPair pem_pair(EVP_PKEY* key) {
  KeyPair k{ferry::testing::pem_of(key, false), ferry::testing::pem_of(key, true)};
  EVP_PKEY_free(key);
  return k;
}

const KeyPair& rsa_key() {
  static const KeyPair k = pem_pair(EVP_RSA_gen(2048));
  return k;
}
const KeyPair& rsa_other_key() {
  static const KeyPair k = pem_pair(EVP_RSA_gen(2048));
  return k;
}
const KeyPair& ec_key() {
  static const KeyPair k = pem_pair(EVP_EC_gen("P-256"));
  return k;
}

// This run's key files, in a directory of their own that goes when the test binary exits.
struct KeyDir {
  KeyDir() {
    char tmpl[] = "/tmp/ferry-jwt-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~KeyDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

std::string write_key_file(const std::string& name, const std::string& content) {
  static const KeyDir dir;
  std::string path = dir.path + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  chmod(path.c_str(), 0600);
  return path;
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What goes into a test token.
struct Claims {
  int64_t exp_in = 600;  // seconds from now; 0: no exp claim
  std::optional<int64_t> nbf_in;
  std::string aud = kAudience;  // empty: none
  std::string aud_json;         // set: aud as this JSON (an array)
  std::string iss = kIssuer;    // empty: none
};

std::string make_token(jwt_alg_t alg, const std::string& key, const Claims& c = {}) {
  nlohmann::json claims = {{"sub", "user-42"}};
  if (c.exp_in != 0) claims["exp"] = now_s() + c.exp_in;
  if (c.nbf_in) claims["nbf"] = now_s() + *c.nbf_in;
  if (!c.aud_json.empty()) {
    claims["aud"] = nlohmann::json::parse(c.aud_json);
  } else if (!c.aud.empty()) {
    claims["aud"] = c.aud;
  }
  if (!c.iss.empty()) claims["iss"] = c.iss;
  std::string token = ferry::testing::sign_jwt(alg, key, claims.dump());
  REQUIRE_FALSE(token.empty());
  return token;
}

std::vector<std::string> jwt_args(const std::string& key_path,
                                  const std::string& required = "both") {
  return {"--jwt-key",      key_path,  "--jwt-required", required,
          "--jwt-audience", kAudience, "--jwt-issuer",   kIssuer};
}

// The token in the subprotocol list, as the page sends it.
std::string with_token(const std::string& token) {
  return "ferry.v1, ferry.jwt." + token;
}

// The close code a create from a connection offering this subprotocol list (and path) gets; 0
// when the room was created.
int create_outcome(uint16_t port, const std::string& subprotocols,
                   const std::string& path = "/ws") {
  WsClient c(port, subprotocols, path);
  if (!c.connected()) return -1;
  if (!c.send_text(msg(proto::Create{}))) return -2;
  auto ev = c.read();
  while (ev.kind == WsClient::Event::Kind::kMessage && ev.type() != "created") ev = c.read();
  if (ev.kind == WsClient::Event::Kind::kMessage) return 0;
  return ev.kind == WsClient::Event::Kind::kClosed ? ev.close_code : -3;
}

constexpr int kJwtRequired = 4014, kJwtInvalid = 4015, kJwtExpired = 4016;

}  // namespace

TEST_CASE("an HS256 server admits valid tokens and refuses every bad one with a named close") {
  const std::string secret = random_secret();
  Server s(jwt_args(
      write_key_file("hs256.secret", secret + "\n")));  // one trailing newline is not the secret's
  REQUIRE(s.started());
  const uint16_t port = s.port();

  SECTION("valid, in the subprotocol list and in the query") {
    const std::string token = make_token(JWT_ALG_HS256, secret);
    CHECK(create_outcome(port, with_token(token)) == 0);
    CHECK(create_outcome(port, "ferry.v1", "/ws?jwt=" + token) == 0);
    CHECK(create_outcome(port, "ferry.v1", "/ws?x=1&jwt=" + token + "&y=2") == 0);
    // The token never reaches the log.
    CHECK(s.log().find(token.substr(token.rfind('.') + 1)) == std::string::npos);
  }
  SECTION("valid with aud as an array, and with exp just passed but within the leeway") {
    Claims array_aud;
    array_aud.aud_json = std::string("[\"other\",\"") + kAudience + "\"]";
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, array_aud))) == 0);
    Claims lenient;
    lenient.exp_in = -5;
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, lenient))) == 0);
  }
  SECTION("no token") {
    CHECK(create_outcome(port, "ferry.v1") == kJwtRequired);
  }
  SECTION("expired") {
    Claims c;
    c.exp_in = -120;
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, c))) == kJwtExpired);
  }
  SECTION("without exp") {
    Claims c;
    c.exp_in = 0;
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, c))) == kJwtInvalid);
  }
  SECTION("not yet valid") {
    Claims c;
    c.nbf_in = 600;
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, c))) == kJwtInvalid);
    c.nbf_in = 5;  // within the leeway
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, c))) == 0);
  }
  SECTION("wrong or missing audience") {
    Claims c;
    c.aud = "someone-else";
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, c))) == kJwtInvalid);
    c.aud = "";
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, c))) == kJwtInvalid);
  }
  SECTION("wrong or missing issuer") {
    Claims c;
    c.iss = "https://evil.example";
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, c))) == kJwtInvalid);
    c.iss = "";
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, secret, c))) == kJwtInvalid);
  }
  SECTION("wrong signature") {
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, random_secret()))) ==
          kJwtInvalid);
    std::string token = make_token(JWT_ALG_HS256, secret);
    token.back() = token.back() == 'A' ? 'B' : 'A';
    CHECK(create_outcome(port, with_token(token)) == kJwtInvalid);
  }
  SECTION("alg none") {
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_NONE, ""))) == kJwtInvalid);
  }
  SECTION("RS256 and ES256 tokens, validly signed by their own keys") {
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_RS256, rsa_key().private_pem))) ==
          kJwtInvalid);
    CHECK(create_outcome(port, with_token(make_token(JWT_ALG_ES256, ec_key().private_pem))) ==
          kJwtInvalid);
  }
  SECTION("garbage") {
    CHECK(create_outcome(port, with_token("not-a-jwt")) == kJwtInvalid);
    CHECK(create_outcome(port, "ferry.v1", "/ws?jwt=a.b.c") == kJwtInvalid);
  }
  CHECK(s.alive());
}

TEST_CASE(
    "an RS256 server admits its key's tokens and refuses alg confusion, none and other keys") {
  Server s(jwt_args(write_key_file("rs256.pub", rsa_key().public_pem)));
  REQUIRE(s.started());
  const uint16_t port = s.port();
  CHECK(create_outcome(port, with_token(make_token(JWT_ALG_RS256, rsa_key().private_pem))) == 0);
  CHECK(create_outcome(port, "ferry.v1",
                       "/ws?jwt=" + make_token(JWT_ALG_RS256, rsa_key().private_pem)) == 0);
  // The classic confusion: HS256 "signed" with the public key's PEM text as the HMAC secret.
  CHECK(create_outcome(port, with_token(make_token(JWT_ALG_HS256, rsa_key().public_pem))) ==
        kJwtInvalid);
  CHECK(create_outcome(port, with_token(make_token(JWT_ALG_NONE, ""))) == kJwtInvalid);
  CHECK(create_outcome(port, with_token(make_token(JWT_ALG_RS256, rsa_other_key().private_pem))) ==
        kJwtInvalid);
  Claims expired;
  expired.exp_in = -120;
  CHECK(create_outcome(port, with_token(make_token(JWT_ALG_RS256, rsa_key().private_pem,
                                                   expired))) == kJwtExpired);
  Claims wrong_aud;
  wrong_aud.aud = "someone-else";
  CHECK(create_outcome(port, with_token(make_token(JWT_ALG_RS256, rsa_key().private_pem,
                                                   wrong_aud))) == kJwtInvalid);
  // Each refusal was for its own reason (logged before the close is sent).
  const std::string log = s.log();
  for (const char* check : {"check=alg_mismatch", "check=alg_none", "check=bad_signature",
                            "check=expired", "check=wrong_audience"}) {
    INFO(check);
    CHECK(log.find(check) != std::string::npos);
  }
  CHECK(s.alive());
}

TEST_CASE("an ES256 server admits its key's tokens and refuses HS256 made from its PEM") {
  Server s(jwt_args(write_key_file("es256.pub", ec_key().public_pem)));
  REQUIRE(s.started());
  CHECK(create_outcome(s.port(), with_token(make_token(JWT_ALG_ES256, ec_key().private_pem))) == 0);
  CHECK(create_outcome(s.port(), with_token(make_token(JWT_ALG_HS256, ec_key().public_pem))) ==
        kJwtInvalid);
  CHECK(create_outcome(s.port(), with_token(make_token(JWT_ALG_RS256, rsa_key().private_pem))) ==
        kJwtInvalid);
}

TEST_CASE("--jwt-required create lets joiners in without a token") {
  const std::string secret = random_secret();
  Server s(jwt_args(write_key_file("create.secret", secret), "create"));
  REQUIRE(s.started());
  CHECK(create_outcome(s.port(), "ferry.v1") == kJwtRequired);
  WsClient a(s.port(), with_token(make_token(JWT_ALG_HS256, secret)));
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(must_get(a, "created"));
  WsClient b(s.port());  // no token
  REQUIRE(b.send_text(msg(proto::JoinByToken{created.room, created.token})));
  must_get(b, "joined");
  must_get(a, "peer_joined");
}

TEST_CASE("--jwt-required join lets anyone create and admits only joiners with a token") {
  const std::string secret = random_secret();
  Server s(jwt_args(write_key_file("join.secret", secret), "join"));
  REQUIRE(s.started());
  WsClient a(s.port());  // no token
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(must_get(a, "created"));

  WsClient stranger(s.port());
  REQUIRE(stranger.send_text(msg(proto::JoinByToken{created.room, created.token})));
  CHECK(stranger.wait_close() == kJwtRequired);
  WsClient by_code(s.port());
  REQUIRE(by_code.send_text(msg(proto::JoinByNameplate{created.nameplate})));
  CHECK(by_code.wait_close() == kJwtRequired);
  Claims expired;
  expired.exp_in = -120;
  WsClient late(s.port(), with_token(make_token(JWT_ALG_HS256, secret, expired)));
  REQUIRE(late.send_text(msg(proto::JoinByToken{created.room, created.token})));
  CHECK(late.wait_close() == kJwtExpired);

  WsClient b(s.port(), with_token(make_token(JWT_ALG_HS256, secret)));
  REQUIRE(b.send_text(msg(proto::JoinByToken{created.room, created.token})));
  must_get(b, "joined");
  must_get(a, "peer_joined");
}

TEST_CASE("token checks are rationed per address at the create/join rate") {
  const std::string secret = random_secret();
  auto args = jwt_args(write_key_file("rationed.secret", secret));
  for (const char* a : {"--join-burst", "2", "--join-rate", "0.01"}) args.emplace_back(a);
  Server s(args);
  REQUIRE(s.started());
  const std::string forged = make_token(JWT_ALG_HS256, random_secret());
  WsClient first(s.port(), with_token(forged)), second(s.port(), with_token(forged));
  REQUIRE(first.connected());
  REQUIRE(second.connected());
  WsClient third(s.port(), with_token(forged));  // no message needed: refused before any read
  CHECK(third.wait_close() == 4004);
  CHECK(s.log().find("reason=jwt_checks_per_ip") != std::string::npos);
}

TEST_CASE("JWT flags and key files are checked at start") {
  std::string out;
  CHECK(run_binary("--jwt-required create", &out) == 2);
  CHECK(out.find("--jwt-key") != std::string::npos);
  out.clear();
  CHECK(run_binary("--jwt-key " + write_key_file("k.secret", random_secret()) +
                       " --jwt-required sometimes",
                   &out) == 2);
  CHECK(out.find("--jwt-required") != std::string::npos);
  out.clear();
  CHECK(run_binary("--jwt-key " + write_key_file("short.secret", "too-short") + " --port 1",
                   &out) == 2);
  CHECK(out.find("32 bytes") != std::string::npos);
  out.clear();
  CHECK(run_binary("--jwt-key " + write_key_file("rs256.key", rsa_key().private_pem) + " --port 1",
                   &out) == 2);
  CHECK(out.find("PUBLIC KEY") != std::string::npos);
  out.clear();
  CHECK(run_binary("--jwt-key /nonexistent/jwt.key --port 1", &out) == 2);
  CHECK(out.find("cannot open") != std::string::npos);
}
