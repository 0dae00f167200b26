// Test tokens for the JWT hook (server/jwt_auth.h), made with libjwt at test time: shared by the
// unit tests (tests/unit/server) and the integration tests (tests/integration). No key or token
// is committed; the callers make their keys when they run.
#pragma once

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <string>

namespace ferry::testing {

// A compact JWS of claims_json (a JSON object) with alg, signed with key (an HS* secret or a
// PEM private key; ignored for JWT_ALG_NONE). Empty when libjwt refuses.
inline std::string sign_jwt(jwt_alg_t alg, const std::string& key, const std::string& claims_json) {
  jwt_t* j = nullptr;
  if (jwt_new(&j) != 0) return {};
  std::string out;
  const bool none = alg == JWT_ALG_NONE;
  if (jwt_add_grants_json(j, claims_json.c_str()) == 0 &&
      jwt_set_alg(j, alg, none ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                  none ? 0 : static_cast<int>(key.size())) == 0) {
    if (char* text = jwt_encode_str(j)) {
      out = text;
      free(text);  // NOLINT(cppcoreguidelines-no-malloc): libjwt's allocation
    }
  }
  jwt_free(j);
  return out;
}

// The PEM text of key's public half ("PUBLIC KEY", what --jwt-key takes) or of the private key
// (what signs the tokens).
inline std::string pem_of(EVP_PKEY* key, bool is_private) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return {};
  if (is_private) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio, key);
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace ferry::testing
