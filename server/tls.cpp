// TLS context setup with OpenSSL (see tls.h).
#include "tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace ferry::server {
namespace {

// Validity of a generated certificate: long enough for a LAN session, short enough that a
// leaked key stops mattering soon.
constexpr long kSelfSignedSeconds = 30L * 24 * 3600;

void harden(ssl::context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
}

}  // namespace

Status load_certificate(ssl::context& ctx, const std::string& cert_file, const std::string& key_file) {
  harden(ctx);
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(cert_file, ec);
  if (ec) return make_error("tls", "cannot load certificate " + cert_file + ": " + ec.message());
  ctx.use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return make_error("tls", "cannot load key " + key_file + ": " + ec.message());
  return Ok{};
}

Status make_self_signed(ssl::context& ctx, const std::string& host, std::string* fingerprint) {
  harden(ctx);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return make_error("tls", "cannot generate a key");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kSelfSignedSeconds);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ferry"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san = "DNS:localhost,IP:127.0.0.1";
  if (!host.empty() && host != "0.0.0.0" && host != "::") {
    bool ip = host.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos;
    san += std::string(",") + (ip ? "IP:" : "DNS:") + host;
  }
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
  if (!ext) return make_error("tls", "cannot build the subjectAltName");
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return make_error("tls", "cannot sign the certificate");
  if (SSL_CTX_use_certificate(ctx.native_handle(), cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.native_handle(), key.get()) != 1) {
    return make_error("tls", "cannot install the generated certificate");
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  X509_digest(cert.get(), EVP_sha256(), md, &md_len);
  static const char* kHex = "0123456789ABCDEF";
  fingerprint->clear();
  for (unsigned int i = 0; i < md_len; ++i) {
    if (i) *fingerprint += ':';
    *fingerprint += kHex[md[i] >> 4];
    *fingerprint += kHex[md[i] & 15];
  }
  return Ok{};
}

}  // namespace ferry::server
