// ferry-server configuration: command-line flags, each also readable from a FERRY_* environment
// variable (flag --max-message <-> FERRY_MAX_MESSAGE). Flags win over the environment.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "client_address.h"
#include "log.h"
#include "jwt_auth.h"
#include "room_registry.h"
#include "turn.h"
#include "util/result.h"

namespace ferry::server {

// --redis redis://host[:port][/db]: where the instances share their rooms (see redis_link.h).
struct RedisTarget {
  std::string host;
  uint16_t port = 6379;  // Redis's registered port
  int db = 0;            // SELECTed after connecting
};
// Parses redis://host[:port][/db]: a host name, an IPv4 address or a bracketed IPv6 address; db
// 0-15 (Redis's default count). No credentials in the URL: they would show up in ps and logs.
Result<RedisTarget> parse_redis_url(const std::string& url);

struct Config {
  std::string bind = "0.0.0.0";  // all interfaces, so phones on the LAN can reach it
  uint16_t port = 8080;
  std::string web_root;  // empty: the built-in placeholder page
  int threads = 1;
  std::string cert, key;  // TLS on the same port when both are set
  bool self_signed = false;
  bool hsts = true;  // sent only under TLS
  IceConfig ice;
  RoomLimits rooms;
  size_t max_message = 64 * 1024 + 1024;  // bytes per text message: the largest payload plus envelope
  // The data relay: bytes per second per room (0: off). 4 MiB/s keeps a fallback transfer usable
  // (a 1 GB file in about 4 minutes) while a few hundred relaying rooms fit in a 10 Gbit/s link.
  int64_t relay_rate = 4 * 1024 * 1024;
  // Bytes per second over all rooms together (0: no cap). 64 MiB/s is about 540 Mbit/s in and
  // as much out: half of a 1 Gbit/s server link, so relaying rooms (16 at the full per-room rate)
  // can never starve the page, the signalling and the host of bandwidth.
  int64_t relay_total_rate = 64 * 1024 * 1024;
  // Text relays (sealed signalling: SDP, ICE candidates, the handshake) per room in bytes/s, with
  // a burst of kTextRelayBurstSeconds of it. A session's whole signalling is a few tens of KiB;
  // 128 KiB/s lets an ICE restart through at once and keeps a room from using text relays as a
  // data channel.
  int64_t text_relay_rate = 128 * 1024;
  // Bytes queued for sending over all connections together: above it, every sender is paused
  // until the queues drain. Each connection is capped on its own too; this bounds the sum.
  size_t max_queued_bytes = 256 * 1024 * 1024;
  std::vector<Cidr> trust_proxy;              // reverse proxies believed about the client address
  std::vector<std::string> allowed_origins;   // normalized; besides the server's own origin
  bool signal_only = false;                   // serve /ws, /healthz and /metrics only
  std::string metrics_token;                  // lets non-loopback clients read /metrics (secret)
  double msg_rate = 20;                   // messages per second per connection, sustained
  double msg_burst = 200;                 // ICE candidates arrive in bursts
  double join_rate = 1;                   // creates and joins per second per IP, sustained
  double join_burst = 20;
  size_t max_conns_per_ip = 64;  // a household behind one NAT opens a few tabs, not hundreds
  size_t max_connections = 20000;
  int idle_timeout_s = 60;  // no traffic and no pong for this long closes the connection
  int max_bad_messages = 20;  // malformed envelopes tolerated per connection before closing
  // SIGTERM with a drain grace: /readyz fails and new WebSocket sessions are refused at once,
  // live ones go on for the grace, then are told to move (close 4013) and the process exits.
  // 0: SIGTERM closes everything at once with 4000 (rooms live in this process only, so there
  // is nowhere to move to without a shared room store).
  int64_t drain_grace_ms = 0;
  LogFormat log_format = LogFormat::kText;
  // The JWT hook (jwt_auth.h): a key file makes creates and/or joins need a token.
  std::string jwt_key;  // path; empty: no tokens checked
  JwtRequired jwt_required = JwtRequired::kNone;  // kBoth when only --jwt-key is given
  std::string jwt_audience, jwt_issuer;  // required claim values when set
  // --redis: unset, nothing about Redis happens. Set, /readyz and new rooms need it reachable.
  std::optional<RedisTarget> redis;
};

// Parses argv (without argv[0]) and the environment (looked up through getenv_fn).
// Returns the config, or an error naming the bad flag. help is set when --help was given.
Result<Config> parse_config(const std::vector<std::string>& args, const std::function<const char*(const char*)>& getenv_fn,
                            bool* help);

// The --help text.
std::string usage();

// The default web root: the wasm build output next to the sources, when it exists.
std::string default_web_root();

}  // namespace ferry::server
