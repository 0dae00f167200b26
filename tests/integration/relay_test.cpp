// The data relay through the real server: binary frames between the two peers of a room, its
// refusals and close codes, the per-room bandwidth cap, and backpressure from a receiver that
// does not read (the server's memory must stay bounded and nothing may be lost).
#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "peers.h"
#include "protocol/signal.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// A frame that says where it belongs: its index in the first 8 bytes, then filler.
std::string numbered_frame(uint64_t index, size_t size) {
  std::string f(size, static_cast<char>(index & 0xff));
  for (int i = 0; i < 8; ++i) f[i] = static_cast<char>((index >> (8 * i)) & 0xff);
  return f;
}
uint64_t frame_index(const std::string& f) {
  uint64_t index = 0;
  for (int i = 0; i < 8; ++i) index |= static_cast<uint64_t>(static_cast<uint8_t>(f[i])) << (8 * i);
  return index;
}

// Sends frames from one peer and checks that the other gets exactly these, in this order.
void check_relayed(WsClient& from, WsClient& to, const std::vector<std::pair<bool, std::string>>& messages) {
  for (const auto& [binary, data] : messages) {
    REQUIRE((binary ? from.send_binary(data) : from.send_text(msg(proto::Relay{data}))));
  }
  for (const auto& [binary, data] : messages) {
    auto ev = to.read();
    REQUIRE(ev.kind == WsClient::Event::Kind::kMessage);
    CHECK(ev.binary == binary);
    if (binary) {
      CHECK(ev.text.size() == data.size());
      CHECK(ev.text == data);
    } else {
      CHECK(ev.json()["payload"] == data);
    }
  }
}

// The server's largest resident set seen while it lives: VmRSS sampled every 5 ms, and VmHWM
// (which the kernel updates lazily, so it alone can miss a short peak).
class PeakRss {
 public:
  explicit PeakRss(const Server& s) : server_(s), thread_([this] {
    while (!stop_) {
      long now = std::max(server_.memory_kib("VmRSS"), server_.memory_kib("VmHWM"));
      long old = peak_.load();
      while (now > old && !peak_.compare_exchange_weak(old, now)) {
      }
      struct timespec ts {0, 5'000'000};
      nanosleep(&ts, nullptr);
    }
  }) {}
  ~PeakRss() {
    stop_ = true;
    thread_.join();
  }
  long kib() const { return peak_.load(); }

 private:
  const Server& server_;
  std::atomic<bool> stop_{false};
  std::atomic<long> peak_{0};
  std::thread thread_;
};

double labelled_metric(uint16_t port, const std::string& line_start) {
  auto body = http_request(port, "/metrics").body;
  auto at = body.find("\n" + line_start + " ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + line_start.size() + 2));
}

}  // namespace

TEST_CASE("binary frames are relayed byte-exact both ways, in order with text relays") {
  Server s;
  REQUIRE(s.started());
  Room r(s.port());
  check_relayed(r.a, r.b,
                {{true, random_bytes(1, 1)},
                 {false, "dGV4dC0x"},
                 {true, random_bytes(65 * 1024, 2)},
                 {true, std::string(3, '\0')},
                 {false, "dGV4dC0y"},
                 {true, random_bytes(proto::kMaxRelayFrameBytes, 3)}});  // above --max-message: binary may be
  check_relayed(r.b, r.a,
                {{true, random_bytes(70'000, 4)}, {false, "YmFjaw"}, {true, random_bytes(17, 5)}, {false, "ZW5k"}});
  CHECK(metric(s.port(), "ferry_relay_frames_total") == 6);
  CHECK(metric(s.port(), "ferry_relay_bytes_total") ==
        1 + 65 * 1024 + 3 + proto::kMaxRelayFrameBytes + 70'000 + 17);
  CHECK(metric(s.port(), "ferry_messages_relayed_total") == 4);
  // Nothing of a payload reaches the log.
  CHECK(s.log().find("dGV4dC0x") == std::string::npos);
}

TEST_CASE("created and joined tell the peers the relay rate") {
  SECTION("the default, 4 MiB/s") {
    Server s;
    REQUIRE(s.started());
    Room r(s.port());
    CHECK(r.created.relay_rate == 4 * 1024 * 1024);
    CHECK(r.joined.relay_rate == 4 * 1024 * 1024);
  }
  SECTION("from the flag") {
    Server s({"--relay-rate", "1000000"});
    REQUIRE(s.started());
    Room r(s.port());
    CHECK(r.created.relay_rate == 1'000'000);
    CHECK(r.joined.relay_rate == 1'000'000);
  }
  SECTION("from the environment") {
    Server s({}, {{"FERRY_RELAY_RATE", "65536"}});
    REQUIRE(s.started());
    Room r(s.port());
    CHECK(r.created.relay_rate == 65536);
    CHECK(r.joined.relay_rate == 65536);
  }
}

TEST_CASE("a server with the relay off says relay_rate 0 and closes a binary sender with 4007") {
  Server s({"--relay-rate", "0"});
  REQUIRE(s.started());
  Room r(s.port());
  CHECK(r.created.relay_rate == 0);
  CHECK(r.joined.relay_rate == 0);
  WsClient c(s.port());
  REQUIRE(c.send_text(msg(proto::Create{})));
  CHECK(c.expect("created").json()["relay_rate"] == 0);
  REQUIRE(c.send_binary("frame"));
  CHECK(c.expect("error").json()["code"] == "binary_frame");
  CHECK(c.wait_close() == 4007);
  CHECK(labelled_metric(s.port(), "ferry_refusals_total{reason=\"protocol_error\"}") == 1);
}

TEST_CASE("a binary frame outside a room closes with 4007") {
  Server s;
  REQUIRE(s.started());
  WsClient c(s.port());
  REQUIRE(c.send_binary("frame"));
  CHECK(c.expect("error").json()["code"] == "not_in_room");
  CHECK(c.wait_close() == 4007);
}

TEST_CASE("a binary frame above kMaxRelayFrameBytes closes with 4001 while text keeps its own limit") {
  Server s({"--max-message", "4096"});
  REQUIRE(s.started());
  Room r(s.port());
  // Binary frames may exceed --max-message up to kMaxRelayFrameBytes...
  check_relayed(r.a, r.b, {{true, random_bytes(100'000, 6)}});
  // ...text may not.
  Room t(s.port());
  REQUIRE(t.a.send_text(std::string(5000, 'x')));
  CHECK(t.a.wait_close() == 4001);
  // One byte above the relay limit.
  REQUIRE(r.a.send_binary(std::string(proto::kMaxRelayFrameBytes + 1, 'x')));
  CHECK(r.a.wait_close() == 4001);
  CHECK(r.b.expect("peer_left").kind == WsClient::Event::Kind::kMessage);
  CHECK(metric(s.port(), "ferry_relay_frames_total") == 1);
}

TEST_CASE("binary frames are not held to the text message rate") {
  Server s({"--msg-rate", "1", "--msg-burst", "5"});
  REQUIRE(s.started());
  Room r(s.port());
  std::vector<std::pair<bool, std::string>> frames;
  for (int i = 0; i < 200; ++i) frames.emplace_back(true, numbered_frame(i, 100));
  check_relayed(r.a, r.b, frames);
  CHECK(metric(s.port(), "ferry_relay_frames_total") == 200);
}

TEST_CASE("a binary frame for an absent peer is dropped and the sender stays connected") {
  Server s({"--grace", "30"});
  REQUIRE(s.started());
  Room r(s.port());
  r.b.drop();
  REQUIRE(r.a.expect("peer_left").kind == WsClient::Event::Kind::kMessage);
  REQUIRE(r.a.send_binary("lost-1"));
  REQUIRE(r.a.send_binary("lost-2"));
  // Still open: a text relay gets its usual answer.
  REQUIRE(r.a.send_text(msg(proto::Relay{"aGk"})));
  CHECK(r.a.expect("error").json()["code"] == "no_peer");
  CHECK(metric(s.port(), "ferry_relay_dropped_total") == 2);
  // The peer comes back and the relay carries on; the dropped frames are gone.
  WsClient b2(s.port());
  REQUIRE(b2.send_text(msg(proto::Rejoin{r.created.room, r.joined.resume})));
  REQUIRE(b2.expect("joined").kind == WsClient::Event::Kind::kMessage);
  REQUIRE(r.a.expect("peer_joined").kind == WsClient::Event::Kind::kMessage);
  check_relayed(r.a, b2, {{true, "after"}});
}

TEST_CASE("the relay rate caps a room's bandwidth without dropping") {
  // 3 MiB at 1 MB/s with about one second of burst: the last frame cannot be read by the server
  // before (48 x 64 KiB - 1 MB) / 1 MB/s = 2.1 s. A lower bound only: timers never fire early.
  Server s({"--relay-rate", "1000000"});
  REQUIRE(s.started());
  Room r(s.port());
  constexpr int kFrames = 48;
  constexpr size_t kFrameBytes = 64 * 1024;
  auto start = std::chrono::steady_clock::now();
  std::atomic<bool> sent_all{true};
  std::thread sender([&] {
    for (int i = 0; i < kFrames; ++i) {
      if (!r.a.send_binary(numbered_frame(i, kFrameBytes))) sent_all = false;
    }
  });
  int received = 0;
  bool in_order = true;
  while (received < kFrames) {
    auto ev = r.b.read(10'000ms);
    if (ev.kind != WsClient::Event::Kind::kMessage) break;
    in_order = in_order && ev.binary && ev.text.size() == kFrameBytes && frame_index(ev.text) == uint64_t(received);
    ++received;
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sender.join();
  CHECK(sent_all);
  CHECK(received == kFrames);
  CHECK(in_order);
  std::printf("[relay] %d x 64 KiB through --relay-rate 1000000: %.2f s (%.2f MB/s)\n", kFrames, elapsed,
              kFrames * kFrameBytes / elapsed / 1e6);
  CHECK(elapsed >= 1.9);
  CHECK(labelled_metric(s.port(), "ferry_relay_pauses_total{reason=\"rate\"}") > 0);
  CHECK(metric(s.port(), "ferry_relay_dropped_total") == 0);
}

TEST_CASE("a receiver that does not read stops its sender and the server's memory stays bounded") {
  // A rate far above loopback speed, so that only the receiver holds the sender back.
  Server s({"--relay-rate", "1000000000"});
  REQUIRE(s.started());
  Room r(s.port());
  long rss_start = s.memory_kib("VmRSS");
  REQUIRE(rss_start > 0);
  PeakRss peak_rss(s);
  constexpr size_t kFrameBytes = 64 * 1024;
  constexpr int kFrames = 50 * 1000 * 1000 / kFrameBytes;  // 50 MB
  BackgroundSender sender(r.a, kFrames, [](int i) { return numbered_frame(static_cast<uint64_t>(i), kFrameBytes); });
  // The sender blocks: its writes stop completing while the receiver reads nothing.
  bool blocked = sender.blocked();
  long rss_blocked = s.memory_kib("VmRSS");
  long peak = peak_rss.kib();
  std::printf("[relay] non-reading receiver: sender blocked after %.1f MB of 50 MB; "
              "server RSS %ld -> %ld KiB, peak %ld KiB\n",
              sender.written() * kFrameBytes / 1e6, rss_start, rss_blocked, peak);
  CHECK(blocked);
  CHECK(sender.written() < kFrames);
  CHECK(labelled_metric(s.port(), "ferry_relay_pauses_total{reason=\"receiver\"}") > 0);
  CHECK(peak - rss_start < 100 * 1024);
  // The receiver reads again: everything arrives, in order, and the sender finishes.
  auto drain_start = std::chrono::steady_clock::now();
  int received = 0;
  bool in_order = true;
  while (received < kFrames) {
    auto ev = r.b.read(10'000ms);
    if (ev.kind != WsClient::Event::Kind::kMessage) break;
    in_order = in_order && ev.binary && frame_index(ev.text) == uint64_t(received);
    ++received;
  }
  sender.join();
  CHECK_FALSE(sender.failed());
  CHECK(received == kFrames);
  CHECK(in_order);
  double drain_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - drain_start).count();
  long peak_end = peak_rss.kib();
  std::printf("[relay] drained 50 MB in %.2f s; server peak RSS %ld KiB (%ld KiB above the start)\n", drain_s,
              peak_end, peak_end - rss_start);
  CHECK(peak_end - rss_start < 100 * 1024);
  CHECK(metric(s.port(), "ferry_relay_dropped_total") == 0);
}

TEST_CASE("a sender waiting for its budget longer than the idle timeout is not closed") {
  // The first frame puts the room 3 s in debt (256 KiB at 64 KiB/s, minus one second of burst);
  // the server reads nothing from the sender meanwhile, pongs included, and must not time it out.
  Server s({"--relay-rate", "65536", "--idle-timeout", "2"});
  REQUIRE(s.started());
  Room r(s.port());
  REQUIRE(r.a.send_binary(numbered_frame(0, proto::kMaxRelayFrameBytes)));
  REQUIRE(r.a.send_binary(numbered_frame(1, 100)));
  auto start = std::chrono::steady_clock::now();
  auto first = r.b.read();
  REQUIRE(first.kind == WsClient::Event::Kind::kMessage);
  CHECK(frame_index(first.text) == 0);
  auto second = r.b.read(10'000ms);
  REQUIRE(second.kind == WsClient::Event::Kind::kMessage);
  CHECK(frame_index(second.text) == 1);
  CHECK(std::chrono::steady_clock::now() - start >= 2500ms);
  // The sender is still there and answers: a text relay goes through.
  check_relayed(r.a, r.b, {{false, "c3RpbGwtaGVyZQ"}});
  CHECK(metric(s.port(), "ferry_connections") == 2);
}

TEST_CASE("a receiver that never reads is closed in time and its sender carries on") {
  // Not reading, the receiver answers no pings either: the idle timeout closes it, which must
  // release the sender paused on it (its later frames are dropped until a rejoin).
  Server s({"--relay-rate", "1000000000", "--idle-timeout", "2"});
  REQUIRE(s.started());
  Room r(s.port());
  std::atomic<int> written{0};
  std::thread sender([&] {
    for (int i = 0; i < 1000; ++i) {  // 64 MB: more than loopback buffers and the server hold
      if (!r.a.send_binary(numbered_frame(i, 64 * 1024), 20'000ms)) return;
      ++written;
    }
  });
  CHECK(eventually([&] { return metric(s.port(), "ferry_relay_dropped_total") > 0; }, 15'000ms));
  sender.join();
  CHECK(written == 1000);
  CHECK(labelled_metric(s.port(), "ferry_relay_pauses_total{reason=\"receiver\"}") > 0);
  CHECK(r.a.expect("peer_left", 5000ms).kind == WsClient::Event::Kind::kMessage);
}
