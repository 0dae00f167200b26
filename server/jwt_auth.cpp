// JWT verification for the create/join hook (see jwt_auth.h).
#include "jwt_auth.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "static_files.h"
#include "util/bytes.h"

namespace ferry::server {
namespace {

using json = nlohmann::json;

// A key file larger than this is not a key (an RSA-8192 public key in PEM is under 1.5 KiB).
constexpr size_t kMaxKeyFileBytes = 64 * 1024;
// RSA keys below this are refused at start (NIST SP 800-131A).
constexpr int kMinRsaBits = 2048;

constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPemPublicKey = "-----BEGIN PUBLIC KEY-----";

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
struct CharFree {
  void operator()(char* p) const {
    free(p);
  }  // NOLINT(cppcoreguidelines-no-malloc): libjwt's allocation
};

jwt_alg_t to_libjwt(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::kHs256:
      return JWT_ALG_HS256;
    case JwtAlg::kRs256:
      return JWT_ALG_RS256;
    case JwtAlg::kEs256:
      return JWT_ALG_ES256;
  }
  return JWT_ALG_INVAL;
}

// The algorithm a PEM public key allows, or why it is not usable.
Result<JwtAlg> public_key_alg(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error("jwt_key", "cannot read the JWT public key");
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return make_error("jwt_key", "the JWT key file is not a readable PEM public key");
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
        return make_error("jwt_key", "the JWT RSA key is shorter than 2048 bits");
      }
      return JwtAlg::kRs256;
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len) != 1 ||
          std::string_view(group) != "prime256v1") {
        return make_error("jwt_key", "the JWT EC key must be on P-256 (ES256)");
      }
      return JwtAlg::kEs256;
    }
    default:
      return make_error("jwt_key", "the JWT public key must be RSA (RS256) or EC P-256 (ES256)");
  }
}

// The "alg" of a compact JWS's header, read before anything is verified.
std::string header_alg(std::string_view header_b64) {
  auto bytes = from_base64url(header_b64);
  if (!bytes) return {};
  const json h = json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (!h.is_object()) return {};
  auto it = h.find("alg");
  return it != h.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_jws_compact(std::string_view token) {
  int dots = 0;
  for (char c : token) {
    if (c == '.') {
      ++dots;
    } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_')) {
      return false;
    }
  }
  return dots == 2;  // header.payload.signature (a JWE has four dots and is not accepted)
}

JwtCheck refuse(JwtVerdict v, std::string reason) {
  return JwtCheck{v, std::move(reason)};
}

// A NumericDate claim (RFC 7519 2: seconds, possibly fractional).
bool numeric_date(const json& claims, const char* name, double* out) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return false;
  *out = it->get<double>();
  return std::isfinite(*out);
}

}  // namespace

std::string_view jwt_alg_name(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::kHs256:
      return "HS256";
    case JwtAlg::kRs256:
      return "RS256";
    case JwtAlg::kEs256:
      return "ES256";
  }
  return "?";
}

Result<JwtVerifier> JwtVerifier::load(const std::string& path, std::string audience,
                                      std::string issuer) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("jwt_key", "cannot open the JWT key file " + path);
  std::string key(kMaxKeyFileBytes + 1, '\0');
  in.read(key.data(), static_cast<std::streamsize>(key.size()));
  key.resize(static_cast<size_t>(in.gcount()));
  if (key.size() > kMaxKeyFileBytes)
    return make_error("jwt_key", "the JWT key file " + path + " is too large");
  return from_key(std::move(key), std::move(audience), std::move(issuer));
}

Result<JwtVerifier> JwtVerifier::from_key(std::string key, std::string audience,
                                          std::string issuer) {
  if (key.find(kPemBegin) != std::string::npos) {
    if (key.find(kPemPublicKey) == std::string::npos) {
      // A private key, a certificate or a PKCS#1 "RSA PUBLIC KEY": say so rather than use it as a
      // secret.
      return make_error(
          "jwt_key",
          "the JWT key file holds PEM but no \"PUBLIC KEY\" block (give the public key)");
    }
    auto alg = public_key_alg(key);
    if (!alg) return alg.error();
    return JwtVerifier(*alg, std::move(key), std::move(audience), std::move(issuer));
  }
  if (key.ends_with("\r\n")) {
    key.resize(key.size() - 2);
  } else if (key.ends_with("\n")) {
    key.pop_back();
  }
  if (key.size() < kMinJwtSecretBytes) {
    return make_error("jwt_key", "the JWT HS256 secret is shorter than 32 bytes");
  }
  return JwtVerifier(JwtAlg::kHs256, std::move(key), std::move(audience), std::move(issuer));
}

JwtCheck JwtVerifier::check(std::string_view token, int64_t now_s) const {
  if (token.empty()) return {};
  if (token.size() > kMaxJwtBytes) return refuse(JwtVerdict::kInvalid, "too_long");
  if (!is_jws_compact(token)) return refuse(JwtVerdict::kInvalid, "malformed");
  // The algorithm is the key's: anything else (none, HS256 against a public key, RS256 against a
  // secret) is refused here, before any key material is used with it.
  const std::string alg = header_alg(token.substr(0, token.find('.')));
  if (alg.empty()) return refuse(JwtVerdict::kInvalid, "malformed_header");
  if (alg != jwt_alg_name(alg_))
    return refuse(JwtVerdict::kInvalid, alg == "none" ? "alg_none" : "alg_mismatch");

  const std::string text(token);
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                      static_cast<int>(key_.size()));
  std::unique_ptr<jwt_t, JwtFree> decoded(raw);
  if (rc != 0 || !decoded) return refuse(JwtVerdict::kInvalid, "bad_signature");
  // libjwt's own reading of the header must agree (two parsers, one answer).
  if (jwt_get_alg(decoded.get()) != to_libjwt(alg_))
    return refuse(JwtVerdict::kInvalid, "alg_mismatch");

  std::unique_ptr<char, CharFree> grants(jwt_get_grants_json(decoded.get(), nullptr));
  const json claims = grants ? json::parse(grants.get(), nullptr, false) : json();
  if (!claims.is_object()) return refuse(JwtVerdict::kInvalid, "malformed_claims");

  const auto now = static_cast<double>(now_s);
  const auto leeway = static_cast<double>(kJwtLeewaySeconds);
  double exp = 0, nbf = 0;
  if (!numeric_date(claims, "exp", &exp)) return refuse(JwtVerdict::kInvalid, "no_exp");
  if (now - leeway >= exp) return refuse(JwtVerdict::kExpired, "expired");
  if (claims.contains("nbf")) {
    if (!numeric_date(claims, "nbf", &nbf)) return refuse(JwtVerdict::kInvalid, "bad_nbf");
    if (now + leeway < nbf) return refuse(JwtVerdict::kInvalid, "not_yet_valid");
  }
  if (!audience_.empty()) {
    // aud is one string or an array of strings (RFC 7519 4.1.3).
    bool found = false;
    if (auto it = claims.find("aud"); it != claims.end()) {
      if (it->is_string()) found = *it == audience_;
      if (it->is_array()) {
        for (const auto& a : *it) found = found || (a.is_string() && a == audience_);
      }
    }
    if (!found) return refuse(JwtVerdict::kInvalid, "wrong_audience");
  }
  if (!issuer_.empty()) {
    auto it = claims.find("iss");
    if (it == claims.end() || !it->is_string() || *it != issuer_)
      return refuse(JwtVerdict::kInvalid, "wrong_issuer");
  }
  return JwtCheck{JwtVerdict::kValid, ""};
}

std::string jwt_from_request(std::string_view subprotocols, std::string_view target) {
  for (std::string_view item : split_header_list(subprotocols)) {
    if (item.starts_with(kJwtSubprotocolPrefix))
      return std::string(item.substr(kJwtSubprotocolPrefix.size()));
  }
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    if (param.starts_with("jwt="))
      return std::string(param.substr(4));  // base64url and dots: never escaped
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

bool jwt_needed(JwtRequired required, bool create) {
  switch (required) {
    case JwtRequired::kNone:
      return false;
    case JwtRequired::kCreate:
      return create;
    case JwtRequired::kJoin:
      return !create;
    case JwtRequired::kBoth:
      return true;
  }
  return true;
}

}  // namespace ferry::server
