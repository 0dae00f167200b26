// Rooms across instances (--redis, redis_rooms.h): a real redis-server and two ferry-server
// instances on loopback. A peer on instance 1 and one on instance 2 share rooms by link and by
// code, relays cross in order both ways, the code's attempt budget counted by one instance holds
// on the other, every key Redis holds has a TTL, and when instance 1 dies its peers rejoin on
// instance 2 with their resume tokens.
#include <catch2/catch.hpp>
#include <cstdio>
#include <sstream>

#include "harness.h"
#include "peers.h"
#include "redis_server.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

// The presence TTL (3 s) plus a heartbeat (1 s) and a margin: how long an instance may take to
// count a killed one dead.
constexpr auto kInstanceLossLimit = 8000ms;
// Relayed messages per direction in the order checks: enough to interleave with the acks.
constexpr int kOrderedMessages = 40;
// Binary frames per direction: 2 MiB at 64 KiB, a few windows' worth of acknowledgements.
constexpr int kFrames = 32;
constexpr size_t kFrameBytes = 64 * 1024;

bool becomes_ready(const Server& s) {
  return eventually([&] { return http_request(s.port(), "/readyz").status == 200; }, 8000ms);
}

// Two instances on one Redis, both ready. Joins are plentiful in these tests: the per-address
// budget is not what they are about.
struct Cluster {
  Cluster()
      : one(args()), two(args()) {
    REQUIRE(one.started());
    REQUIRE(two.started());
    REQUIRE(becomes_ready(one));
    REQUIRE(becomes_ready(two));
  }
  std::vector<std::string> args() {
    if (!started) {
      REQUIRE(redis.start());
      started = true;
    }
    // A relay rate far above loopback speed: the backpressure test is about the receivers.
    return {"--signal-only", "--redis", redis.url(), "--join-burst", "200", "--relay-rate", "1000000000"};
  }
  RedisServer redis;
  bool started = false;
  Server one, two;
};

// A on instance 1 created a room, B on instance 2 joined it by link, and A confirmed B.
struct Across {
  Across() { REQUIRE(a.send_text(msg(proto::PakeConfirmed{}))); }
  Cluster c;
  Room room{c.one.port(), c.two.port()};
  WsClient& a = room.a;
  WsClient& b = room.b;
  const proto::Created& created = room.created;
  const proto::Joined& joined = room.joined;
};

// A room created on a's instance, with a code.
proto::Created create_with_code(WsClient& a) {
  REQUIRE(a.send_text(msg(proto::Create{})));
  auto created = std::get<proto::Created>(must_get(a, "created"));
  REQUIRE_FALSE(created.nameplate.empty());
  return created;
}

// A frame that names its direction and index, so order and content are both checked.
std::string frame(char dir, int i) {
  std::string f(kFrameBytes, static_cast<char>('a' + i % 26));
  std::snprintf(f.data(), 16, "%c%06d", dir, i);
  return f;
}

// from relays kOrderedMessages texts and kFrames frames; to gets all of them in order.
void relays_in_order(WsClient& from, WsClient& to, char dir) {
  for (int i = 0; i < kOrderedMessages; ++i) {
    REQUIRE(from.send_text(msg(proto::Relay{std::string(1, dir) + std::to_string(i)})));
  }
  for (int i = 0; i < kOrderedMessages; ++i) {
    auto ev = to.expect("relay");
    REQUIRE(ev.kind == WsClient::Event::Kind::kMessage);
    REQUIRE(ev.json()["payload"] == std::string(1, dir) + std::to_string(i));
  }
  for (int i = 0; i < kFrames; ++i) REQUIRE(from.send_binary(frame(dir, i)));
  for (int i = 0; i < kFrames; ++i) {
    auto ev = to.read();
    REQUIRE(ev.kind == WsClient::Event::Kind::kMessage);
    REQUIRE(ev.binary);
    REQUIRE(ev.text == frame(dir, i));
  }
}

// The output of redis-cli against the test's Redis.
std::string redis_cli(const RedisServer& redis, const std::string& args) {
  std::string cmd = "redis-cli -p " + std::to_string(redis.port()) + " " + args;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// A join by code on `port`, retried while the code is not (yet, or again) in Redis: the owner
// writes it back after a failed attempt, a moment after it closed the joiner.
std::unique_ptr<WsClient> join_by_code(uint16_t port, const std::string& code, std::string* last_error) {
  std::unique_ptr<WsClient> joiner;
  bool ok = eventually([&] {
    joiner = std::make_unique<WsClient>(port);
    if (!joiner->send_text(msg(proto::JoinByNameplate{code}))) return false;
    auto ev = joiner->read();
    if (ev.type() == "joined") return true;
    if (ev.type() == "error") *last_error = ev.json()["code"];
    return false;
  });
  return ok ? std::move(joiner) : nullptr;
}

}  // namespace

TEST_CASE("--redis: a peer on instance 2 joins a room of instance 1 by link; texts and binary frames cross in order both ways; every key has a TTL") {
  if (redis_missing()) return;
  Across x;
  [[maybe_unused]] auto& [c, room, a, b, created, joined] = x;
  CHECK(joined.room == created.room);
  CHECK_FALSE(joined.creator);
  CHECK(joined.peer);
  CHECK(joined.relay_rate > 0);
  relays_in_order(a, b, 'A');
  relays_in_order(b, a, 'B');

  // A wrong token gets the single instance's answer, from the other instance too.
  WsClient wrong(c.two.port());
  REQUIRE(wrong.send_text(msg(proto::JoinByToken{created.room, joined.resume})));
  auto refused = wrong.expect("error");
  CHECK(refused.json()["code"] == "join_refused");

  // Nothing in Redis lives for ever: rooms, codes and presences all expire.
  std::istringstream keys(redis_cli(c.redis, "--scan"));
  int count = 0;
  for (std::string key; std::getline(keys, key);) {
    if (key.empty()) continue;
    ++count;
    INFO(key);
    CHECK(std::stoll(redis_cli(c.redis, "PTTL " + key)) > 0);
  }
  CHECK(count >= 3);  // the room and two presences (its code is claimed, so gone)

  // B leaves: A hears it across the instances.
  b.drop();
  must_get(a, "peer_left");
}

TEST_CASE("--redis: a peer on instance 2 joins by the code of a room on instance 1, and the relay works both ways") {
  if (redis_missing()) return;
  Cluster c;
  WsClient a(c.one.port());
  auto created = create_with_code(a);
  WsClient b(c.two.port());
  REQUIRE(b.send_text(msg(proto::JoinByNameplate{created.nameplate})));
  auto joined = std::get<proto::Joined>(must_get(b, "joined"));
  CHECK(joined.room == created.room);
  must_get(a, "peer_joined");
  REQUIRE(a.send_text(msg(proto::Relay{"aGVsbG8"})));
  CHECK(b.expect("relay").json()["payload"] == "aGVsbG8");
  REQUIRE(b.send_text(msg(proto::Relay{"YmFjaw"})));
  CHECK(a.expect("relay").json()["payload"] == "YmFjaw");
  // An unknown code is refused as on one instance.
  WsClient stranger(c.two.port());
  REQUIRE(stranger.send_text(msg(proto::JoinByNameplate{"999998"})));
  CHECK(stranger.expect("error").json()["code"] == "no_such_nameplate");
}

TEST_CASE("--redis: the code's attempt budget counted by instance 1 holds on instance 2: after three failed attempts there the code is burned everywhere") {
  if (redis_missing()) return;
  Cluster c;
  WsClient a(c.one.port());
  auto created = create_with_code(a);
  for (int attempt = 0; attempt < 3; ++attempt) {
    INFO("attempt " << attempt);
    std::string last_error;
    auto joiner = join_by_code(c.two.port(), created.nameplate, &last_error);
    INFO("last error " << last_error);
    REQUIRE(joiner);
    must_get(a, "peer_joined");
    REQUIRE(a.send_text(msg(proto::PakeFailed{})));
    CHECK(joiner->wait_close() == 4009);  // kPakeFailed, sent across from instance 1
    must_get(a, "peer_left");
  }
  CHECK(a.expect("error").json()["code"] == "nameplate_burned");
  for (uint16_t port : {c.two.port(), c.one.port()}) {
    WsClient late(port);
    REQUIRE(late.send_text(msg(proto::JoinByNameplate{created.nameplate})));
    CHECK(late.expect("error").json()["code"] == "no_such_nameplate");
  }
}

TEST_CASE("--redis: instance 1 is killed; its peer's link moves (4013) and both peers rejoin on instance 2 with their resume tokens") {
  if (redis_missing()) return;
  Across x;
  [[maybe_unused]] auto& [c, room, a, b, created, joined] = x;
  // A round trip after the confirmation: instance 1 stored the room's record before it.
  REQUIRE(a.send_text(msg(proto::Relay{"cGluZw"})));
  REQUIRE(b.expect("relay").json()["payload"] == "cGluZw");
  REQUIRE(b.send_text(msg(proto::Relay{"cG9uZw"})));
  REQUIRE(a.expect("relay").json()["payload"] == "cG9uZw");

  c.one.signal(SIGKILL);
  CHECK(b.wait_close(kInstanceLossLimit) == 4013);  // kMoved: reconnect and rejoin

  WsClient a2(c.two.port());
  REQUIRE(a2.send_text(msg(proto::Rejoin{created.room, created.resume})));
  auto a_back = std::get<proto::Joined>(must_get(a2, "joined"));
  CHECK(a_back.creator);
  CHECK_FALSE(a_back.peer);
  WsClient b2(c.two.port());
  REQUIRE(b2.send_text(msg(proto::Rejoin{created.room, joined.resume})));
  auto b_back = std::get<proto::Joined>(must_get(b2, "joined"));
  CHECK_FALSE(b_back.creator);
  CHECK(b_back.peer);
  must_get(a2, "peer_joined");
  relays_in_order(a2, b2, 'A');
  relays_in_order(b2, a2, 'B');
  CHECK(c.two.log().find("event=room_taken_over room=" + created.room.substr(0, 6)) != std::string::npos);
  // An old resume token does not get in: each rejoin issued a new one.
  WsClient stale(c.two.port());
  REQUIRE(stale.send_text(msg(proto::Rejoin{created.room, created.resume})));
  CHECK(stale.expect("error").json()["code"] == "resume_refused");
}

namespace {

// from sends 50 MB to `to`, which reads nothing at first: the sender's writes stop completing
// (the window across the instances closes), the instances' and Redis's memory stay bounded,
// and once `to` reads everything arrives in order.
void backpressure_across(Cluster& c, WsClient& from, WsClient& to, char dir) {
  constexpr int kBigFrames = 50 * 1000 * 1000 / kFrameBytes;
  long start_one = c.one.memory_kib("VmRSS"), start_two = c.two.memory_kib("VmRSS");
  BackgroundSender sender(from, kBigFrames, [dir](int i) { return frame(dir, i); });
  CHECK(sender.blocked());
  long grown_one = c.one.memory_kib("VmRSS") - start_one, grown_two = c.two.memory_kib("VmRSS") - start_two;
  std::string info = redis_cli(c.redis, "INFO memory");
  auto at = info.find("used_memory:");
  long long redis_bytes = at == std::string::npos ? -1 : std::stoll(info.substr(at + 12));
  std::printf("[rooms] %c: sender blocked after %.1f MB of 50 MB; RSS grew %ld / %ld KiB; Redis uses %lld bytes\n", dir,
              sender.written() * kFrameBytes / 1e6, grown_one, grown_two, redis_bytes);
  CHECK(grown_one < 100 * 1024);
  CHECK(grown_two < 100 * 1024);
  CHECK(redis_bytes > 0);
  CHECK(redis_bytes < 64 * 1024 * 1024);
  int received = 0;
  while (received < kBigFrames) {
    auto ev = to.read(10'000ms);
    if (ev.kind != WsClient::Event::Kind::kMessage) break;
    REQUIRE(ev.text == frame(dir, received));
    ++received;
  }
  sender.join();
  CHECK_FALSE(sender.failed());
  CHECK(received == kBigFrames);
}

}  // namespace

TEST_CASE("--redis: a receiver on the other instance that does not read stops its sender, both ways, and nobody's memory grows unbounded") {
  if (redis_missing()) return;
  Across x;
  backpressure_across(x.c, x.a, x.b, 'A');  // the room's instance to the forwarding one
  backpressure_across(x.c, x.b, x.a, 'B');  // and back
}
