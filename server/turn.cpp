// TURN REST credentials with OpenSSL's HMAC-SHA1 (see turn.h).
#include "turn.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/bytes.h"

namespace ferry::server {

TurnCredentials turn_credentials(std::string_view secret, int64_t expiry_unix, std::string_view id) {
  TurnCredentials c;
  c.username = std::to_string(expiry_unix) + ":" + std::string(id);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(c.username.data()), c.username.size(), mac, &mac_len);
  c.password = to_base64(ByteView(mac, mac_len));
  return c;
}

std::vector<protocol::IceServer> ice_servers_for(const IceConfig& config, int64_t now_unix, std::string_view id) {
  std::vector<protocol::IceServer> out;
  if (!config.stun_urls.empty()) out.push_back({config.stun_urls, "", ""});
  if (!config.turn_urls.empty() && !config.turn_secret.empty()) {
    auto creds = turn_credentials(config.turn_secret, now_unix + config.turn_ttl_s, id);
    out.push_back({config.turn_urls, creds.username, creds.password});
  }
  return out;
}

}  // namespace ferry::server
