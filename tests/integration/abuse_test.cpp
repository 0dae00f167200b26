// The server under abuse, through the real binary: the Origin check, --signal-only, who reads
// /metrics, per-address limits by IPv4 address and IPv6 /64 behind a trusted proxy, text relay
// budgets and queue caps, and an oversized frame. Each limit bites, and a neighbour is unaffected.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "peers.h"
#include "protocol/signal.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

using Headers = WsClient::Headers;

// A WebSocket upgrade request as a browser sends it, answered with the HTTP status only.
int upgrade_status(uint16_t port, const std::string& origin) {
  Headers h = {{"Connection", "Upgrade"},
               {"Upgrade", "websocket"},
               {"Sec-WebSocket-Version", "13"},
               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"Sec-WebSocket-Protocol", "ferry.v1"}};
  if (!origin.empty()) h.emplace_back("Origin", origin);
  return http_request(port, "/ws", h).status;
}

// A relay of about n payload characters (base64url).
std::string big_relay(size_t n, char fill = 'A') {
  return msg(proto::Relay{std::string(n, fill)});
}

std::string pause_metric(const std::string& reason) {
  return "ferry_relay_pauses_total{reason=\"" + reason + "\"}";
}

// Sends up to kFloodRelays relays of 60 KiB from c (60 MB: far more than loopback buffers
// hold, so the server must stop reading), until a write does not complete within 3 s (blocked)
// or blocked is set from outside.
constexpr int kFloodRelays = 1000;
std::thread flood(WsClient& c, std::atomic<int>& written, std::atomic<bool>& blocked) {
  return std::thread([&c, &written, &blocked] {
    for (int i = 0; i < kFloodRelays && !blocked; ++i) {
      if (!c.send_text(big_relay(60 * 1024), 3'000ms)) {
        blocked = true;
      } else {
        ++written;
      }
    }
  });
}

}  // namespace

TEST_CASE("a /ws upgrade from a foreign Origin gets 403; own, allowed and no Origin upgrade") {
  Server s({"--allowed-origin", "https://app.example, https://other.example:8443"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  std::string own = "http://127.0.0.1:" + std::to_string(s.port());
  CHECK(upgrade_status(s.port(), "https://evil.example") == 403);
  CHECK(upgrade_status(s.port(), "null") == 403);
  CHECK(upgrade_status(s.port(), "http://127.0.0.1:1") == 403);
  CHECK(upgrade_status(s.port(), own) == 101);
  CHECK(upgrade_status(s.port(), "https://app.example") == 101);
  CHECK(upgrade_status(s.port(), "https://other.example:8443") == 101);
  CHECK(upgrade_status(s.port(), "") == 101);
  WsClient evil(s.port(), {{"Origin", "https://evil.example"}});
  CHECK_FALSE(evil.connected());
  WsClient good(s.port(), {{"Origin", own}});
  CHECK(good.connected());
  CHECK(n.still_working());
  CHECK(metric(s.port(), "ferry_refusals_total{reason=\"origin\"}") == 4);
}

TEST_CASE("--signal-only serves no files: only /ws, /healthz and /metrics") {
  Server s({"--signal-only", "--web-root", std::string(FERRY_SOURCE_DIR) + "/tests/integration"});
  REQUIRE(s.started());
  CHECK(http_request(s.port(), "/").status == 404);
  CHECK(http_request(s.port(), "/index.html").status == 404);
  CHECK(http_request(s.port(), "/harness.h").status == 404);
  CHECK(http_request(s.port(), "/j/ABCDEFGHIJKLMNOPQRST").status == 404);
  CHECK(http_request(s.port(), "/healthz").status == 200);
  CHECK(http_request(s.port(), "/metrics").status == 200);
  Neighbours n(s.port());
  CHECK(n.still_working());
  // Without the flag, the same root is served.
  Server files({"--web-root", std::string(FERRY_SOURCE_DIR) + "/tests/integration"});
  REQUIRE(files.started());
  CHECK(http_request(files.port(), "/harness.h").status == 200);
}

TEST_CASE("/metrics is refused to a non-loopback client unless it brings the metrics token") {
  // Behind a trusted proxy on loopback the client's address is what the proxy forwarded.
  Server s({"--trust-proxy", "127.0.0.1/32", "--metrics-token", "m3trics-s3cret"});
  REQUIRE(s.started());
  CHECK(http_request(s.port(), "/metrics").status == 200);  // loopback itself
  auto remote = http_request(s.port(), "/metrics", {{"X-Forwarded-For", "203.0.113.5"}});
  CHECK(remote.status == 403);
  CHECK(remote.body.find("ferry_") == std::string::npos);
  CHECK(http_request(s.port(), "/metrics", {{"Forwarded", "for=203.0.113.5"}}).status == 403);
  CHECK(http_request(s.port(), "/metrics",
                     {{"X-Forwarded-For", "203.0.113.5"}, {"Authorization", "Bearer wrong"}})
            .status == 403);
  auto authed = http_request(
      s.port(), "/metrics",
      {{"X-Forwarded-For", "203.0.113.5"}, {"Authorization", "Bearer m3trics-s3cret"}});
  CHECK(authed.status == 200);
  CHECK(authed.body.find("ferry_connections") != std::string::npos);
  CHECK(http_request(s.port(), "/healthz", {{"X-Forwarded-For", "203.0.113.5"}}).status == 200);
  CHECK(s.log().find("m3trics-s3cret") == std::string::npos);
}

TEST_CASE("connections per address count an IPv6 /64 as one address and a mapped IPv4 as IPv4") {
  Server s({"--trust-proxy", "127.0.0.1", "--max-conns-per-ip", "2"});
  REQUIRE(s.started());
  auto from = [](const std::string& ip) { return Headers{{"X-Forwarded-For", ip}}; };
  WsClient a1(s.port(), from("2001:db8:1:2::1")), a2(s.port(), from("2001:db8:1:2:ffff::2"));
  REQUIRE(a1.connected());
  REQUIRE(a2.connected());
  WsClient a3(s.port(), from("2001:db8:1:2:abcd::3"));
  CHECK(a3.wait_close() == 4003);
  // The neighbouring /64 is another address.
  Neighbours n(s.port(), from("2001:db8:1:3::1"));
  CHECK(n.still_working());
  WsClient v4a(s.port(), from("198.51.100.7")), v4b(s.port(), from("::ffff:198.51.100.7"));
  REQUIRE(v4b.connected());
  WsClient v4c(s.port(), from("198.51.100.7"));
  CHECK(v4c.wait_close() == 4003);
  // A client-written entry to the left of the proxy's does not change the address.
  WsClient spoof(s.port(), from("192.0.2.99, 2001:db8:1:2::9"));
  CHECK(spoof.wait_close() == 4003);
}

TEST_CASE("a room over its text relay budget has its sender paused, a neighbour room not") {
  // 64 KiB/s with 8 s of burst: 512 KiB at once, then the sender waits for the debt.
  Server s({"--text-relay-rate", "65536"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  Room r(s.port());
  constexpr int kRelays = 12;  // 12 x 60 KiB = 720 KiB: about 3 s in debt
  auto start = std::chrono::steady_clock::now();
  std::thread sender([&] {
    for (int i = 0; i < kRelays; ++i) r.a.send_text(big_relay(60 * 1024), 20'000ms);
  });
  CHECK(eventually([&] { return metric(s.port(), pause_metric("text_rate")) > 0; }));
  // While the room is held back, the neighbour room's relay is immediate.
  auto before = std::chrono::steady_clock::now();
  CHECK(n.still_working());
  CHECK(std::chrono::steady_clock::now() - before < 1000ms);
  int got = 0;
  while (got < kRelays && r.b.expect("relay", 10'000ms).kind == WsClient::Event::Kind::kMessage)
    ++got;
  sender.join();
  CHECK(got == kRelays);  // nothing was dropped, only slowed down
  CHECK(std::chrono::steady_clock::now() - start > 2000ms);
}

TEST_CASE("a receiver that does not read text stops its sender; a neighbour is unaffected") {
  Server s({"--text-relay-rate", "1000000000", "--msg-rate", "100000", "--msg-burst", "100000"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  Room r(s.port());
  long rss_start = s.memory_kib("VmRSS");
  std::atomic<int> written{0};
  std::atomic<bool> blocked{false};
  std::thread sender = flood(r.a, written, blocked);
  CHECK(eventually([&] { return blocked.load(); }, 30'000ms));
  sender.join();
  long rss_blocked = s.memory_kib("VmRSS");
  std::printf(
      "[abuse] non-reading text receiver: sender stopped after %.1f MB; server RSS %ld -> %ld "
      "KiB\n",
      written.load() * 60 * 1024 / 1e6, rss_start, rss_blocked);
  CHECK(written.load() < kFloodRelays);
  CHECK(metric(s.port(), pause_metric("text_receiver")) > 0);
  CHECK(rss_blocked - rss_start < 32 * 1024);
  CHECK(metric(s.port(), "ferry_queued_bytes") < 4 * 1024 * 1024);
  CHECK(n.still_working());
  CHECK(metric(s.port(), "ferry_refusals_total{reason=\"slow_reader\"}") <= 0);
}

TEST_CASE("above --max-queued-bytes every sender is paused, and messages still get through") {
  Server s({"--max-queued-bytes", "65536", "--text-relay-rate", "1000000000", "--msg-rate",
            "100000", "--msg-burst", "100000"});
  REQUIRE(s.started());
  Neighbours n(s.port());
  Room r(s.port());
  std::atomic<int> written{0};
  std::atomic<bool> blocked{false};
  std::thread sender = flood(r.a, written, blocked);
  CHECK(eventually([&] { return metric(s.port(), pause_metric("global")) > 0; }, 30'000ms));
  // The neighbour is slowed (each message read is followed by a short pause), not cut off.
  CHECK(n.still_working());
  blocked = true;
  sender.join();
}

TEST_CASE("a text frame far over the limit gets the 4001 close frame, not a dropped connection") {
  Server s;
  REQUIRE(s.started());
  Neighbours n(s.port());
  // 1 MiB, and 16 MiB (more than the socket buffers hold: the client is still writing when the
  // server refuses it, as a browser's send() of a huge string is).
  for (size_t size : {size_t(1) << 20, size_t(16) << 20}) {
    WsClient c(s.port());
    REQUIRE(c.connected());
    bool written = false;
    std::thread writer([&] { written = c.send_text(std::string(size, 'x'), 5'000ms); });
    writer.join();
    auto ev = c.read(5'000ms);
    while (ev.kind == WsClient::Event::Kind::kMessage) ev = c.read(5'000ms);
    int code = ev.close_code;
    INFO("size " << size << " written " << written << " close code " << code << " error "
                 << ev.error);
    CHECK(code == 4001);
  }
  CHECK(n.still_working());
}
