// ICE server lists for peers: STUN URLs as configured, and TURN URLs with ephemeral TURN REST
// credentials (draft-uberti-behave-turn-rest, as coturn's `use-auth-secret` expects):
// username "<expiry unix seconds>:<id>", password base64(HMAC-SHA1(secret, username)).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/signal.h"

namespace ferry::server {

struct TurnCredentials {
  std::string username;
  std::string password;
};

// expiry_unix: when the credentials stop working; id: any label without ':' (a random id).
TurnCredentials turn_credentials(std::string_view secret, int64_t expiry_unix, std::string_view id);

struct IceConfig {
  std::vector<std::string> stun_urls;
  std::vector<std::string> turn_urls;
  std::string turn_secret;
  int64_t turn_ttl_s = 3600;  // how long issued TURN credentials stay valid
};

// The list handed to one peer. Empty when nothing is configured (the default).
std::vector<protocol::IceServer> ice_servers_for(const IceConfig& config, int64_t now_unix, std::string_view id);

}  // namespace ferry::server
