// Which HTTP requests may do what, as pure functions: the Origin check on the /ws upgrade, and
// who may read /metrics. No sockets; unit-tested in tests/unit/server/access_policy_test.cpp.
//
// Origin: a browser page on another site can open a WebSocket to any server and spend the
// visitor's address's limits, or use the server as its own signalling service. So a browser's
// upgrade must come from the server's own origin (its host:port equals the request's Host), or
// from one listed with --allowed-origin (the static client hosted elsewhere). A request with no
// Origin header is not from a browser page (a CLI, a test), which Origin cannot restrict anyway.
//
// /metrics tells room and connection counts; only loopback (an operator on the host, a local
// scraper) reads it, or anyone sending "Authorization: Bearer <--metrics-token>".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client_address.h"

namespace ferry::server {

// "https://Example.com:443" -> "https://example.com"; scheme and host lower-cased, the scheme's
// default port dropped. nullopt unless it is scheme://host[:port] with scheme http or https and
// nothing after (no path, user info, query).
std::optional<std::string> normalize_origin(std::string_view origin);

// origin: the Origin header, nullopt when absent. host: the Host header.
bool origin_allowed(const std::optional<std::string_view>& origin, std::string_view host,
                    const std::vector<std::string>& allowed);

// client: the request's client address (client_address()). authorization: the Authorization
// header ("" when absent). token: --metrics-token ("" when unset: loopback only).
bool metrics_allowed(const std::optional<IpAddress>& client, std::string_view authorization,
                     const std::string& token);

}  // namespace ferry::server
