// Tests of token buckets, TURN REST credentials, config parsing and static-file rules.
#include <catch2/catch.hpp>
#include <map>

#include "config.h"
#include "static_files.h"
#include "token_bucket.h"
#include "turn.h"

using namespace ferry::server;

TEST_CASE("a token bucket allows the burst then the sustained rate") {
  TokenBucket b(3, 2, 0);  // burst 3, 2 per second
  CHECK(b.take(0));
  CHECK(b.take(0));
  CHECK(b.take(0));
  CHECK_FALSE(b.take(0));
  CHECK_FALSE(b.take(499));
  CHECK(b.take(500));
  CHECK_FALSE(b.take(500));
  CHECK(b.take(10'000));
}

TEST_CASE("keyed buckets limit each key on its own and forget full ones") {
  KeyedBuckets k(2, 1);
  CHECK(k.take("10.0.0.1", 0));
  CHECK(k.take("10.0.0.1", 0));
  CHECK_FALSE(k.take("10.0.0.1", 0));
  CHECK(k.take("10.0.0.2", 0));
  CHECK(k.size() == 2);
  k.prune(100);
  CHECK(k.size() == 2);
  k.prune(5000);
  CHECK(k.size() == 0);
}

TEST_CASE("a borrowed byte budget goes into debt and says how long to wait") {
  TokenBucket b(1000, 1000, 0);  // 1000 bytes of burst, 1000 bytes per second
  CHECK(b.borrow(600, 0) == 0);
  CHECK(b.borrow(600, 0) == 200);  // 200 bytes of debt at 1 byte per ms
  CHECK(b.borrow(1, 100) == 101);  // 100 ms repaid 100 bytes
  CHECK(b.borrow(0, 301) == 0);
  CHECK(b.borrow(5000, 10'000) == 4000);  // larger than the burst: passed on, paid for after
}

TEST_CASE("keyed byte budgets are separate and a full one is forgotten") {
  KeyedBuckets k(1000, 1000);
  CHECK(k.borrow("room-a", 1500, 0) == 500);
  CHECK(k.borrow("room-b", 1000, 0) == 0);
  k.prune(400);
  CHECK(k.size() == 2);
  k.prune(1500);
  CHECK(k.size() == 0);
}

TEST_CASE("TURN REST credentials match coturn's construction") {
  // base64(HMAC-SHA1("north-sea-secret", "1700000000:alice")), computed independently with Python's hmac.
  auto c = turn_credentials("north-sea-secret", 1700000000, "alice");
  CHECK(c.username == "1700000000:alice");
  CHECK(c.password == "Or2+y4pClBAA8mU3e93KEtAPsJs=");
}

TEST_CASE("no ICE servers are handed out by default") {
  CHECK(ice_servers_for(IceConfig{}, 1000, "x").empty());
}

TEST_CASE("configured STUN and TURN give two ICE servers with expiring credentials") {
  IceConfig ice;
  ice.stun_urls = {"stun:stun.example.org:3478"};
  ice.turn_urls = {"turn:turn.example.org:3478"};
  ice.turn_secret = std::string("shared-secret");
  ice.turn_ttl_s = 600;
  auto list = ice_servers_for(ice, 1000, "peer1");
  REQUIRE(list.size() == 2);
  CHECK(list[0].urls == ice.stun_urls);
  CHECK(list[0].username.empty());
  CHECK(list[1].username == "1600:peer1");
  CHECK(list[1].credential == turn_credentials("shared-secret", 1600, "peer1").password);
}

namespace {
ferry::Result<Config> parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  bool help = false;
  return parse_config(args, [env](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  }, &help);
}
}  // namespace

TEST_CASE("config defaults serve on port 8080 on all interfaces") {
  auto c = parse({});
  REQUIRE(c.ok());
  CHECK(c->port == 8080);
  CHECK(c->bind == "0.0.0.0");
  CHECK(c->rooms.unjoined_ttl_ms == 600'000);
  CHECK(c->rooms.grace_ms == 60'000);
  CHECK(c->rooms.hard_cap_ms == 86'400'000);
  CHECK(c->ice.stun_urls.empty());
  CHECK(c->web_root.ends_with("build/wasm/dist"));
  CHECK(c->relay_rate == 4 * 1024 * 1024);
  CHECK(c->relay_total_rate == 64 * 1024 * 1024);
}

TEST_CASE("the data relay is configured by --relay-rate and --relay-total-rate") {
  auto c = parse({"--relay-rate", "1000000", "--relay-total-rate=50000000"});
  REQUIRE(c.ok());
  CHECK(c->relay_rate == 1'000'000);
  CHECK(c->relay_total_rate == 50'000'000);
  auto off = parse({}, {{"FERRY_RELAY_RATE", "0"}});
  REQUIRE(off.ok());
  CHECK(off->relay_rate == 0);
  CHECK_FALSE(parse({"--relay-rate", "-1"}).ok());
  CHECK_FALSE(parse({"--relay-rate", "1.5"}).ok());
  CHECK_FALSE(parse({"--relay-rate", "fast"}).ok());
  CHECK_FALSE(parse({"--relay-total-rate", "-5"}).ok());
}

TEST_CASE("the abuse limits have finite defaults and flags") {
  auto d = parse({});
  REQUIRE(d.ok());
  CHECK(d->rooms.confirm_timeout_ms == 30'000);
  CHECK(d->rooms.max_room_failures == 10);
  CHECK(d->max_queued_bytes == 256u * 1024 * 1024);
  CHECK(d->text_relay_rate == 128 * 1024);
  CHECK(d->trust_proxy.empty());
  CHECK(d->allowed_origins.empty());
  CHECK_FALSE(d->signal_only);
  CHECK(d->metrics_token.empty());
  auto c = parse({"--confirm-timeout-ms", "500", "--max-room-failures=4", "--max-queued-bytes", "1048576",
                  "--text-relay-rate", "4096", "--signal-only", "--metrics-token", "t0k"});
  REQUIRE(c.ok());
  CHECK(c->rooms.confirm_timeout_ms == 500);
  CHECK(c->rooms.max_room_failures == 4);
  CHECK(c->max_queued_bytes == 1024u * 1024);
  CHECK(c->text_relay_rate == 4096);
  CHECK(c->signal_only);
  CHECK(c->metrics_token == "t0k");
  CHECK_FALSE(parse({"--confirm-timeout-ms", "0"}).ok());
  CHECK_FALSE(parse({"--max-room-failures", "0"}).ok());
  CHECK_FALSE(parse({"--max-queued-bytes", "10"}).ok());
  CHECK_FALSE(parse({"--metrics-token", ""}).ok());
}

TEST_CASE("--trust-proxy and --allowed-origin take lists, repeated, from flags and FERRY_ variables") {
  auto c = parse({"--trust-proxy", "10.0.0.0/8, fd00::/8", "--trust-proxy=192.168.1.1",
                  "--allowed-origin", "https://App.example:443", "--allowed-origin", "http://a.example:8080,https://b.example"},
                 {{"FERRY_TRUST_PROXY", "127.0.0.1"}});
  REQUIRE(c.ok());
  CHECK(c->trust_proxy.size() == 4);
  REQUIRE(c->allowed_origins.size() == 3);
  CHECK(c->allowed_origins[0] == "https://app.example");
  CHECK(c->allowed_origins[1] == "http://a.example:8080");
  auto env = parse({}, {{"FERRY_ALLOWED_ORIGIN", "https://x.example https://y.example"}});
  REQUIRE(env.ok());
  CHECK(env->allowed_origins.size() == 2);
  CHECK_FALSE(parse({"--trust-proxy", "10.0.0.0/40"}).ok());
  CHECK_FALSE(parse({"--trust-proxy", ""}).ok());
  CHECK_FALSE(parse({"--allowed-origin", "https://x.example/path"}).ok());
  CHECK_FALSE(parse({"--allowed-origin", "*"}).ok());
}

TEST_CASE("config reads flags and FERRY_ variables, flags winning") {
  auto c = parse({"--port", "9000", "--grace=1.5", "--stun", "stun:a:1,stun:b:2"},
                 {{"FERRY_PORT", "7000"}, {"FERRY_BIND", "127.0.0.1"}, {"FERRY_SELF_SIGNED", "1"}});
  REQUIRE(c.ok());
  CHECK(c->port == 9000);
  CHECK(c->bind == "127.0.0.1");
  CHECK(c->self_signed);
  CHECK(c->rooms.grace_ms == 1500);
  CHECK(c->ice.stun_urls == std::vector<std::string>{"stun:a:1", "stun:b:2"});
}

TEST_CASE("bad config values are errors naming the flag") {
  CHECK(parse({"--port", "http"}).error().message.find("--port") != std::string::npos);
  CHECK(parse({"--port", "70000"}).error().code == "bad_config");
  CHECK(parse({"--nope"}).error().message.find("--nope") != std::string::npos);
  CHECK_FALSE(parse({"--grace", "-1"}).ok());
  CHECK_FALSE(parse({"--cert", "a.pem"}).ok());
  CHECK_FALSE(parse({"--turn", "turn:x"}).ok());
  CHECK_FALSE(parse({"--port"}).ok());
  CHECK_FALSE(parse({}, {{"FERRY_MSG_RATE", "fast"}}).ok());
}

TEST_CASE("help lists every flag with its environment variable") {
  auto text = usage();
  CHECK(text.find("--web-root") != std::string::npos);
  CHECK(text.find("FERRY_TURN_SECRET") != std::string::npos);
}

TEST_CASE("request paths map into the web root and escapes are refused") {
  CHECK(resolve_target("/").value() == "index.html");
  CHECK(resolve_target("/j/AAAAAAAAAAAAAAAAAAAA?t=x").value() == "index.html");
  CHECK(resolve_target("/app.wasm?v=3").value() == "app.wasm");
  CHECK(resolve_target("/assets/a%20b.png").value() == "assets/a b.png");
  for (const char* bad : {"/../etc/passwd", "/a/../../b", "/%2e%2e/x", "/a/%2E%2E", "..", "x", "/a\\..\\b",
                          "/a%00b", "/a%zz", "/a%2", "/a//b", "/dir/"}) {
    CHECK_FALSE(resolve_target(bad).ok());
  }
}

TEST_CASE("MIME types include application/wasm") {
  CHECK(mime_type("ferry.wasm") == "application/wasm");
  CHECK(mime_type("ferry.js") == "text/javascript; charset=utf-8");
  CHECK(mime_type("index.HTML") == "text/html; charset=utf-8");
  CHECK(mime_type("a/b.css") == "text/css; charset=utf-8");
  CHECK(mime_type("manifest.webmanifest") == "application/manifest+json");
  CHECK(mime_type("x.v1/noext") == "application/octet-stream");
}

TEST_CASE("HTML is revalidated, hashed assets are immutable and others cached briefly") {
  CHECK(cache_control("index.html") == "no-cache");
  CHECK(cache_control("sw.js") == "no-cache");
  CHECK(cache_control("manifest.webmanifest") == "no-cache");
  CHECK(cache_control("ferry.wasm") == "public, max-age=3600");
  CHECK(cache_control("ferry.0123456789abcdef.wasm") == "public, max-age=31536000, immutable");
  CHECK(cache_control("client-zip.fedcba9876543210.js") == "public, max-age=31536000, immutable");
  CHECK(cache_control("zxcvbn.LICENSE.txt") == "public, max-age=3600");
}

TEST_CASE("only a 16-hex-digit stem suffix counts as a content hash") {
  CHECK(is_hashed_name("ferry.0123456789abcdef.js"));
  CHECK(is_hashed_name("a/b.0123456789abcdef.png"));
  CHECK_FALSE(is_hashed_name("ferry.0123456789abcde.js"));    // 15 digits
  CHECK_FALSE(is_hashed_name("ferry.0123456789ABCDEF.js"));   // the stager writes lower case
  CHECK_FALSE(is_hashed_name("ferry.0123456789abcdeg.js"));
  CHECK_FALSE(is_hashed_name("0123456789abcdef.js"));         // no name before the hash
  CHECK_FALSE(is_hashed_name("ferry.0123456789abcdef"));      // no extension after it
}

TEST_CASE("a coding is used only when accepted") {
  CHECK(accepts_coding("gzip, deflate, br", "gzip"));
  CHECK(accepts_coding("br;q=1.0, gzip;q=0.8", "gzip"));
  CHECK(accepts_coding("*", "gzip"));
  CHECK_FALSE(accepts_coding("gzip;q=0", "gzip"));
  CHECK_FALSE(accepts_coding("br, deflate", "gzip"));
  CHECK_FALSE(accepts_coding("", "gzip"));
  CHECK(accepts_coding("gzip, deflate, br", "br"));
  CHECK_FALSE(accepts_coding("gzip, deflate", "br"));
  CHECK_FALSE(accepts_coding("br;q=0, gzip", "br"));
}

TEST_CASE("brotli is preferred to gzip, identity comes last") {
  using C = ContentCoding;
  CHECK(preferred_codings("gzip, deflate, br") == std::vector<C>{C::kBrotli, C::kGzip, C::kIdentity});
  CHECK(preferred_codings("gzip") == std::vector<C>{C::kGzip, C::kIdentity});
  CHECK(preferred_codings("br") == std::vector<C>{C::kBrotli, C::kIdentity});
  CHECK(preferred_codings("") == std::vector<C>{C::kIdentity});
  CHECK(preferred_codings("identity") == std::vector<C>{C::kIdentity});
}

TEST_CASE("ETags differ for each body and match If-None-Match lists") {
  auto plain = make_etag(10, 20, ContentCoding::kIdentity);
  auto gz = make_etag(10, 20, ContentCoding::kGzip);
  auto br = make_etag(10, 20, ContentCoding::kBrotli);
  CHECK(plain != gz);
  CHECK(br != gz);
  CHECK(br != plain);
  CHECK(etag_matches(plain, plain));
  std::string list = "\"x\", ";
  list += gz;
  CHECK(etag_matches(list, gz));
  std::string weak = "W/";
  weak += plain;
  CHECK(etag_matches(weak, plain));
  CHECK(etag_matches("*", plain));
  CHECK_FALSE(etag_matches(plain, gz));
}

TEST_CASE("the CSP allows wasm compilation and keeps hostile Host text out") {
  auto csp = content_security_policy("example.org:8080");
  CHECK(csp.find("'wasm-unsafe-eval'") != std::string::npos);
  CHECK(csp.find("wss://example.org:8080") != std::string::npos);
  CHECK(csp.find("'unsafe-eval'") == std::string::npos);
  auto hostile = content_security_policy("x; script-src *");
  CHECK(hostile.find("script-src *") == std::string::npos);
}
