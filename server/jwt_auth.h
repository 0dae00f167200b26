// The JWT hook: an embedding site lets only its own users create and/or join rooms by handing
// the page a JSON Web Token (--jwt-key, --jwt-required; docs/protocol.md "JWT"). Signatures are
// libjwt's (Debian's libjwt-dev); this file decides which algorithm may be used and checks the
// claims.
//
// The algorithm is pinned by the key, never taken from the token: a secret accepts HS256 only,
// an RSA public key RS256 only, a P-256 public key ES256 only. So `alg: none` and the classic
// confusion (an HS256 token "signed" with the public key's PEM bytes as the HMAC secret) are
// refused before libjwt verifies anything, and the header libjwt parsed is checked again after.
//
// Claims: exp is required, nbf is honoured when present (both with kJwtLeewaySeconds of clock
// skew), aud must contain --jwt-audience and iss equal --jwt-issuer when those are set.
// Nothing here logs or keeps the token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace ferry::server {

// Clock skew allowed between the site that issues tokens and this server, on exp and nbf.
constexpr int64_t kJwtLeewaySeconds = 30;
// Longest token accepted: a few claims signed with RS256 (a 2048-bit signature is 342
// characters) stay far below; the HTTP header limit (16 KiB) is the outer bound.
constexpr size_t kMaxJwtBytes = 8 * 1024;
// Shortest HS256 secret: RFC 7518 3.2 asks for a key at least as long as the hash (256 bits).
constexpr size_t kMinJwtSecretBytes = 32;
// The Sec-WebSocket-Protocol entry that carries a token next to ferry.v1.
constexpr std::string_view kJwtSubprotocolPrefix = "ferry.jwt.";

// Which room entries need a valid token.
enum class JwtRequired { kNone, kCreate, kJoin, kBoth };

enum class JwtAlg { kHs256, kRs256, kEs256 };
std::string_view jwt_alg_name(JwtAlg alg);

// What a connection's token proved, decided once when it connects.
enum class JwtVerdict {
  kAbsent,  // no token was offered
  kValid,
  kExpired,  // signed correctly, but exp has passed
  kInvalid,  // anything else: bad signature, wrong algorithm, nbf ahead, aud, iss, malformed
};

struct JwtCheck {
  JwtVerdict verdict = JwtVerdict::kAbsent;
  std::string reason;  // for the log: which check failed (never the token)
};

class JwtVerifier {
 public:
  // Reads the key file: a PEM "PUBLIC KEY" (RSA: RS256; EC P-256: ES256), or else an HS256
  // secret (the file's bytes without one trailing newline, at least kMinJwtSecretBytes).
  // audience / issuer: required claim values; empty means not checked.
  static Result<JwtVerifier> load(const std::string& path, std::string audience,
                                  std::string issuer);
  // The same from the key's bytes.
  static Result<JwtVerifier> from_key(std::string key, std::string audience, std::string issuer);

  JwtAlg alg() const { return alg_; }
  // Verifies token (compact JWS) at unix time now_s. An empty token is kAbsent.
  JwtCheck check(std::string_view token, int64_t now_s) const;

 private:
  JwtVerifier(JwtAlg alg, std::string key, std::string audience, std::string issuer)
      : alg_(alg),
        key_(std::move(key)),
        audience_(std::move(audience)),
        issuer_(std::move(issuer)) {}

  JwtAlg alg_;
  std::string key_;  // the secret, or the PEM text of the public key
  std::string audience_, issuer_;
};

// The token a WebSocket upgrade carries: a "ferry.jwt.<token>" entry of the Sec-WebSocket-Protocol
// list, or else the "jwt" parameter of the request target's query. Empty when there is none.
std::string jwt_from_request(std::string_view subprotocols, std::string_view target);

// Whether a room entry needs a valid token: "create" for create, "join" for the joins.
// (A rejoin carries the resume token the server issued after its first entry was checked.)
bool jwt_needed(JwtRequired required, bool create);

}  // namespace ferry::server
