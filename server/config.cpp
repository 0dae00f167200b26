// Flag and environment parsing for ferry-server (see config.h): the flags() table names each
// flag, its help and how its value sets Config; CLI11 (Debian's libcli11-dev) reads the command
// line, and the FERRY_* variables are read here first, through the getenv the caller hands in.
//
// Adding a flag: one row in flags() — {"name", "help (default ...)", setter returning false on a
// bad value} plus `true` for a switch — and the Config field in config.h. The option, its
// FERRY_NAME variable and its --help line follow from the row.
#include "config.h"

#include "access_policy.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <charconv>
#include <deque>
#include <filesystem>
#include <memory>

namespace ferry::server {
namespace {

struct Flag {
  const char* name;  // without the leading "--"
  const char* help;
  std::function<bool(Config&, const std::string&)> set;  // false: bad value
  bool is_switch = false;
  bool hide_value = false;  // a bad value is not echoed: it may hold a credential
};

template <class T>
bool to_number(const std::string& s, T& out) {
  if (s.empty()) return false;
  if constexpr (std::is_floating_point_v<T>) {
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used != s.size() || !(d >= 0)) return false;
      out = static_cast<T>(d);
      return true;
    } catch (...) {
      return false;
    }
  } else {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  }
}

// Items separated by commas and/or spaces.
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  for (char c : s + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

bool seconds_to_ms(const std::string& s, int64_t& out) {
  double d = 0;
  if (!to_number(s, d) || d <= 0) return false;
  out = static_cast<int64_t>(d * 1000);
  return true;
}

const std::vector<Flag>& flags() {
  static const std::vector<Flag> kFlags = {
      {"port", "TCP port (default 8080)", [](Config& c, const std::string& v) { return to_number(v, c.port); }},
      {"bind", "address to listen on (default 0.0.0.0, all interfaces)",
       [](Config& c, const std::string& v) { c.bind = v; return !v.empty(); }},
      {"web-root", "directory of the built web client (default: build/wasm/dist in the source tree, the staged web root)",
       [](Config& c, const std::string& v) { c.web_root = v; return true; }},
      {"threads", "I/O threads (default 1)",
       [](Config& c, const std::string& v) { return to_number(v, c.threads) && c.threads >= 1 && c.threads <= 64; }},
      {"cert", "TLS certificate chain (PEM); with --key serves HTTPS/WSS on the same port",
       [](Config& c, const std::string& v) { c.cert = v; return true; }},
      {"key", "TLS private key (PEM)", [](Config& c, const std::string& v) { c.key = v; return true; }},
      {"self-signed", "generate a self-signed TLS certificate at start (LAN use)",
       [](Config& c, const std::string&) { c.self_signed = true; return true; }, true},
      {"no-hsts", "do not send Strict-Transport-Security under TLS",
       [](Config& c, const std::string&) { c.hsts = false; return true; }, true},
      {"stun", "comma-separated STUN URLs handed to peers (default none)",
       [](Config& c, const std::string& v) { c.ice.stun_urls = split_list(v); return true; }},
      {"turn", "comma-separated TURN URLs handed to peers (needs --turn-secret)",
       [](Config& c, const std::string& v) { c.ice.turn_urls = split_list(v); return true; }},
      {"turn-secret", "TURN REST shared secret (coturn static-auth-secret)",
       [](Config& c, const std::string& v) { c.ice.turn_secret = v; return true; }},
      {"turn-ttl", "lifetime of TURN credentials in seconds (default 3600)",
       [](Config& c, const std::string& v) { return to_number(v, c.ice.turn_ttl_s) && c.ice.turn_ttl_s > 0; }},
      {"unjoined-ttl", "seconds before a room nobody joined expires (default 600)",
       [](Config& c, const std::string& v) { return seconds_to_ms(v, c.rooms.unjoined_ttl_ms); }},
      {"room-ttl", "hard cap on a room's life in seconds (default 86400)",
       [](Config& c, const std::string& v) { return seconds_to_ms(v, c.rooms.hard_cap_ms); }},
      {"grace", "seconds a dropped peer may rejoin (default 60)",
       [](Config& c, const std::string& v) { return seconds_to_ms(v, c.rooms.grace_ms); }},
      {"max-pake-failures", "failed short-code attempts before the nameplate burns (default 3)",
       [](Config& c, const std::string& v) {
         return to_number(v, c.rooms.max_pake_failures) && c.rooms.max_pake_failures >= 1;
       }},
      {"max-room-failures",
       "failed handshakes in one room (every code and join path) before it admits nobody new (default 10)",
       [](Config& c, const std::string& v) {
         return to_number(v, c.rooms.max_room_failures) && c.rooms.max_room_failures >= 1;
       }},
      {"confirm-timeout-ms", "milliseconds a joiner has to complete the handshake before its seat is freed (default 30000)",
       [](Config& c, const std::string& v) {
         return to_number(v, c.rooms.confirm_timeout_ms) && c.rooms.confirm_timeout_ms >= 1;
       }},
      {"max-message", "largest text (signalling) message in bytes (default 66560)",
       [](Config& c, const std::string& v) { return to_number(v, c.max_message) && c.max_message >= 256; }},
      {"relay-rate", "data relay budget per room in bytes/s, for peers without WebRTC (default 4194304; 0: off)",
       [](Config& c, const std::string& v) { return to_number(v, c.relay_rate) && c.relay_rate >= 0; }},
      {"relay-total-rate", "data relay budget of the whole server in bytes/s (default 67108864; 0: no cap)",
       [](Config& c, const std::string& v) { return to_number(v, c.relay_total_rate) && c.relay_total_rate >= 0; }},
      {"text-relay-rate", "text (signalling) relay budget per room in bytes/s (default 131072)",
       [](Config& c, const std::string& v) { return to_number(v, c.text_relay_rate) && c.text_relay_rate >= 1024; }},
      {"max-queued-bytes", "bytes queued for sending over all connections before senders pause (default 268435456)",
       [](Config& c, const std::string& v) {
         return to_number(v, c.max_queued_bytes) && c.max_queued_bytes >= 64 * 1024;
       }},
      {"trust-proxy", "comma/space-separated CIDRs of reverse proxies whose X-Forwarded-For/Forwarded is believed",
       [](Config& c, const std::string& v) {
         auto list = parse_cidr_list(v);
         if (!list || list->empty()) return false;
         c.trust_proxy.insert(c.trust_proxy.end(), list->begin(), list->end());
         return true;
       }},
      {"allowed-origin", "origin (scheme://host[:port]) allowed to open /ws besides the server's own; repeatable",
       [](Config& c, const std::string& v) {
         auto items = split_list(v);
         if (items.empty()) return false;
         for (const auto& item : items) {
           auto o = normalize_origin(item);
           if (!o) return false;
           c.allowed_origins.push_back(*o);
         }
         return true;
       }},
      {"signal-only", "serve no static files: only /ws, /healthz and /metrics (the client is hosted elsewhere)",
       [](Config& c, const std::string&) { c.signal_only = true; return true; }, true},
      {"metrics-token", "lets clients other than loopback read /metrics with Authorization: Bearer TOKEN",
       [](Config& c, const std::string& v) { c.metrics_token = v; return !v.empty(); }},
      {"msg-rate", "messages per second per connection (default 20)",
       [](Config& c, const std::string& v) { return to_number(v, c.msg_rate) && c.msg_rate > 0; }},
      {"msg-burst", "message burst per connection (default 200)",
       [](Config& c, const std::string& v) { return to_number(v, c.msg_burst) && c.msg_burst >= 1; }},
      {"join-rate", "creates/joins per second per IP (default 1)",
       [](Config& c, const std::string& v) { return to_number(v, c.join_rate) && c.join_rate > 0; }},
      {"join-burst", "create/join burst per IP (default 20)",
       [](Config& c, const std::string& v) { return to_number(v, c.join_burst) && c.join_burst >= 1; }},
      {"max-conns-per-ip", "concurrent WebSocket connections per IP (default 64)",
       [](Config& c, const std::string& v) { return to_number(v, c.max_conns_per_ip) && c.max_conns_per_ip >= 1; }},
      {"max-connections", "concurrent WebSocket connections in total (default 20000)",
       [](Config& c, const std::string& v) { return to_number(v, c.max_connections) && c.max_connections >= 1; }},
      {"idle-timeout", "seconds without traffic or pong before a connection closes (default 60)",
       [](Config& c, const std::string& v) { return to_number(v, c.idle_timeout_s) && c.idle_timeout_s >= 1; }},
      {"max-bad-messages", "malformed messages tolerated per connection (default 20)",
       [](Config& c, const std::string& v) { return to_number(v, c.max_bad_messages) && c.max_bad_messages >= 1; }},
      {"drain-grace", "seconds SIGTERM lets live sessions go on (/readyz failing, no new ones) before closing them with 4013 moved (default 0: close at once with 4000)",
       [](Config& c, const std::string& v) {
         double s = 0;
         if (!to_number(v, s) || s > 3600) return false;
         c.drain_grace_ms = static_cast<int64_t>(s * 1000);
         return true;
       }},
      {"log-format", "text (key=value, default) or json (one object per line)",
       [](Config& c, const std::string& v) {
         if (v != "text" && v != "json") return false;
         c.log_format = v == "json" ? LogFormat::kJson : LogFormat::kText;
         return true;
       }},
      {"jwt-key", "JWT key file: an HS256 secret, or an RS256/ES256 public key (PEM); creates/joins then need a token",
       [](Config& c, const std::string& v) { c.jwt_key = v; return !v.empty(); }},
      {"jwt-required", "which room entries need a valid JWT: create, join or both (default both)",
       [](Config& c, const std::string& v) {
         if (v == "create") c.jwt_required = JwtRequired::kCreate;
         else if (v == "join") c.jwt_required = JwtRequired::kJoin;
         else if (v == "both") c.jwt_required = JwtRequired::kBoth;
         else return false;
         return true;
       }},
      {"jwt-audience", "the JWT aud claim must contain this value",
       [](Config& c, const std::string& v) { c.jwt_audience = v; return !v.empty(); }},
      {"jwt-issuer", "the JWT iss claim must equal this value",
       [](Config& c, const std::string& v) { c.jwt_issuer = v; return !v.empty(); }},
      {"redis", "redis://host[:port][/db] shared by the instances; /readyz and new rooms then need it (default: none)",
       [](Config& c, const std::string& v) {
         auto target = parse_redis_url(v);
         if (!target) return false;
         c.redis = *target;
         return true;
       },
       false, true},
  };
  return kFlags;
}

std::string env_name(const char* flag) {
  std::string s = "FERRY_";
  for (const char* p = flag; *p; ++p) s += *p == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(*p)));
  return s;
}

constexpr const char* kDescription =
    "ferry-server: serves the Ferry web client and relays its signalling.\n"
    "Each flag can also be set by the environment variable in brackets; a flag on the command line wins\n"
    "(list flags, --trust-proxy and --allowed-origin, add to the variable's list).";

// The command line through CLI11: one option per row of flags(). Each value option keeps every
// occurrence in order, one value each (--flag VALUE or --flag=VALUE); flags() rows apply them
// after the parse, so a row's set() is the only place its value is checked.
struct CommandLine {
  std::unique_ptr<CLI::App> app;
  std::vector<std::vector<std::string>> values;  // per row of flags(): the values given
  std::deque<bool> switches;                     // per row: the switch was given (deque: stable addresses)
};

CommandLine command_line() {
  CommandLine cl;
  cl.app = std::make_unique<CLI::App>(kDescription, "ferry-server");
  cl.app->set_help_flag("-h,--help", "this text");
  cl.app->get_formatter()->column_width(30);
  const auto& all = flags();
  cl.values.resize(all.size());
  cl.switches.resize(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const Flag& f = all[i];
    std::string name = std::string("--") + f.name;
    std::string help = std::string(f.help) + "   [" + env_name(f.name) + "]";
    if (f.is_switch) {
      cl.app->add_flag(name, cl.switches[i], help);
    } else {
      cl.app->add_option(name, cl.values[i], help)
          ->type_name("VALUE")
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->allow_extra_args(false);
    }
  }
  return cl;
}

}  // namespace

Result<RedisTarget> parse_redis_url(const std::string& url) {
  constexpr std::string_view kScheme = "redis://";
  // Redis's default number of databases (its "databases 16" setting).
  constexpr int kMaxDb = 15;
  auto bad = [&](const char* why) { return make_error("bad_redis_url", std::string("--redis ") + why + " (redis://host[:port][/db])"); };
  if (url.compare(0, kScheme.size(), kScheme) != 0) return bad("must start with redis://");
  std::string rest = url.substr(kScheme.size());
  std::string path;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    path = rest.substr(slash + 1);
    rest.resize(slash);
  }
  if (rest.find('@') != std::string::npos) return bad("takes no credentials");
  RedisTarget t;
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return bad("has an unclosed [");
    t.host = rest.substr(1, close - 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("has a bad port");
      port = after.substr(1);
      if (port.empty()) return bad("has a bad port");
    }
  } else {
    auto colon = rest.find(':');
    t.host = rest.substr(0, colon);
    if (colon != std::string::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return bad("has a bad port");
    }
  }
  if (t.host.empty()) return bad("needs a host");
  for (char ch : t.host) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':')) return bad("has a bad host");
  }
  if (!port.empty() && (!to_number(port, t.port) || t.port == 0)) return bad("has a bad port");
  if (!path.empty() && (!to_number(path, t.db) || t.db < 0 || t.db > kMaxDb)) return bad("has a bad database number");
  return t;
}

std::string usage() { return command_line().app->help(); }

std::string default_web_root() {
#ifdef FERRY_SOURCE_DIR
  return std::string(FERRY_SOURCE_DIR) + "/build/wasm/dist";
#else
  return "build/wasm/dist";
#endif
}

Result<Config> parse_config(const std::vector<std::string>& args, const std::function<const char*(const char*)>& getenv_fn,
                            bool* help) {
  Config c;
  c.web_root = default_web_root();
  *help = false;
  const auto& all = flags();
  // The environment first, so flags override it.
  for (const auto& f : all) {
    const char* v = getenv_fn(env_name(f.name).c_str());
    if (!v) continue;
    std::string value = v;
    if (f.is_switch && (value == "0" || value == "false" || value.empty())) continue;
    if (!f.set(c, value)) return make_error("bad_config", env_name(f.name) + " has a bad value" + (f.hide_value ? "" : ": " + value));
  }
  CommandLine cl = command_line();
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    cl.app->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    *help = true;
    return c;
  } catch (const CLI::ExtrasError& e) {
    return make_error("bad_config", std::string(e.what()) + " (see --help)");
  } catch (const CLI::ParseError& e) {
    return make_error("bad_config", e.what());
  }
  for (size_t i = 0; i < all.size(); ++i) {
    const Flag& f = all[i];
    if (f.is_switch && cl.switches[i] && !f.set(c, "")) return make_error("bad_config", std::string("--") + f.name + " cannot be set");
    for (const auto& value : cl.values[i]) {
      if (!f.set(c, value)) {
        return make_error("bad_config", std::string("--") + f.name + " has a bad value" + (f.hide_value ? " (see --help)" : ": " + value));
      }
    }
  }
  if (c.cert.empty() != c.key.empty()) return make_error("bad_config", "--cert and --key go together");
  if (!c.ice.turn_urls.empty() && c.ice.turn_secret.empty()) {
    return make_error("bad_config", "--turn needs --turn-secret");
  }
  if (c.jwt_key.empty()) {
    if (c.jwt_required != JwtRequired::kNone || !c.jwt_audience.empty() || !c.jwt_issuer.empty()) {
      return make_error("bad_config", "--jwt-required, --jwt-audience and --jwt-issuer need --jwt-key");
    }
  } else if (c.jwt_required == JwtRequired::kNone) {
    c.jwt_required = JwtRequired::kBoth;  // a key that guards nothing is a mistake
  }
  return c;
}

}  // namespace ferry::server
