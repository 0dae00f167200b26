// TLS setup: a server context from --cert/--key files, or a fresh self-signed certificate
// (--self-signed) for LAN use, so phones can reach a secure origin (needed for WebRTC and the
// clipboard) without a public certificate.
#pragma once

#include <string>

#include "beast.h"
#include "util/result.h"

namespace ferry::server {

Status load_certificate(ssl::context& ctx, const std::string& cert_file, const std::string& key_file);
// Generates a P-256 key and a 30-day certificate for localhost and the given host name/address.
// fingerprint receives the certificate's SHA-256 fingerprint, for the log.
Status make_self_signed(ssl::context& ctx, const std::string& host, std::string* fingerprint);

}  // namespace ferry::server
