// --redis against a real redis-server on loopback (Debian's, started here with its own temp dir,
// no persistence): readiness follows Redis, creates are refused with redis_unavailable while
// it is away, the server never dies of it, and it reconnects once Redis is back.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "harness.h"
#include "peers.h"
#include "redis_server.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

// The link's longest back-off (kRedisRetryMax, 5 s) plus a connect and a margin: how long a
// server may take to see Redis come back.
constexpr auto kReconnectLimit = 8000ms;
// The ping timeout (2 s) plus a tick and a margin: how long it may take to see Redis gone. A
// killed Redis closes its sockets, which is seen at once; this bounds the slow case.
constexpr auto kNoticeLimit = 4000ms;


// Whether /readyz answers 200 within the reconnect limit.
bool becomes_ready(const Server& s) {
  return eventually([&] { return http_request(s.port(), "/readyz").status == 200; }, kReconnectLimit);
}

// Whether /readyz answers 503 redis_unavailable within the notice limit.
bool becomes_unavailable(const Server& s) {
  return eventually([&] { return http_request(s.port(), "/readyz").body == "redis_unavailable\n"; }, kNoticeLimit);
}

// A create's answer: "created", or the error's code.
std::string create_outcome(uint16_t port) {
  WsClient c(port);
  if (!c.send_text(msg(proto::Create{}))) return "no_connection";
  auto ev = c.read();
  if (ev.kind != WsClient::Event::Kind::kMessage) return "no_answer";
  if (ev.type() == "error") return ev.json()["code"];
  return ev.type();
}

}  // namespace

TEST_CASE("--redis: /readyz is ready and creates succeed once Redis answers") {
  if (redis_missing()) return;
  RedisServer redis;
  REQUIRE(redis.start());
  Server s({"--signal-only", "--redis", redis.url()});
  REQUIRE(s.started());
  CHECK(becomes_ready(s));
  CHECK(create_outcome(s.port()) == "created");
  Neighbours room(s.port());
  CHECK(room.still_working());
  CHECK(s.log().find("event=redis_up host=127.0.0.1 port=" + std::to_string(redis.port()) + " db=0") != std::string::npos);
}

TEST_CASE("--redis: while Redis is down /readyz is 503 redis_unavailable and creates get redis_unavailable; once it is back both recover") {
  if (redis_missing()) return;
  RedisServer redis;
  // The server starts before Redis does: it must come up, say why it is not ready, and retry.
  Server s({"--signal-only", "--redis", redis.url() + "/3"});
  REQUIRE(s.started());
  auto ready = http_request(s.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body == "redis_unavailable\n");
  CHECK(http_request(s.port(), "/healthz").status == 200);  // alive: not to be restarted
  CHECK(create_outcome(s.port()) == "redis_unavailable");

  REQUIRE(redis.start());
  CHECK(becomes_ready(s));
  CHECK(create_outcome(s.port()) == "created");
  Neighbours live(s.port());

  // Redis dies: noticed, refused by name, and the live room's relay is untouched.
  redis.stop();
  CHECK(becomes_unavailable(s));
  CHECK(create_outcome(s.port()) == "redis_unavailable");
  CHECK(live.still_working());
  CHECK(s.alive());

  // Back again, on the same port: ready within the back-off.
  REQUIRE(redis.start());
  CHECK(becomes_ready(s));
  CHECK(create_outcome(s.port()) == "created");
  std::string log = s.log();
  CHECK(log.find("event=redis_down reason=connection_lost") != std::string::npos);
  CHECK(log.find("db=3") != std::string::npos);
  CHECK(s.terminate() == 0);
}

TEST_CASE("--redis: a Redis that stops answering (SIGSTOP) is noticed by the PING timeout, and it is ready again after SIGCONT (--threads 3)") {
  if (redis_missing()) return;
  RedisServer redis;
  REQUIRE(redis.start());
  Server s({"--signal-only", "--redis", redis.url(), "--threads", "3"});  // the link keeps to its strand
  REQUIRE(s.started());
  REQUIRE(becomes_ready(s));
  redis.signal(SIGSTOP);  // the socket stays open and silent, as behind a black-holed link
  CHECK(becomes_unavailable(s));
  CHECK(s.log().find("event=redis_down reason=ping_timeout") != std::string::npos);
  CHECK(create_outcome(s.port()) == "redis_unavailable");
  redis.signal(SIGCONT);
  CHECK(becomes_ready(s));
  CHECK(create_outcome(s.port()) == "created");
}

TEST_CASE("without --redis nothing about Redis happens: ready, creates succeed, no redis events") {
  Server s({"--signal-only"});
  REQUIRE(s.started());
  CHECK(http_request(s.port(), "/readyz").status == 200);
  CHECK(create_outcome(s.port()) == "created");
  CHECK(s.terminate() == 0);
  CHECK(s.log().find("event=redis") == std::string::npos);  // (the worktree path may say redis)
}

TEST_CASE("--redis refuses URLs it cannot use, naming the flag") {
  for (const char* url : {"http://127.0.0.1:6379", "redis://", "redis://127.0.0.1:0", "redis://127.0.0.1:99999",
                          "redis://127.0.0.1:6379/16", "redis://127.0.0.1:6379/x", "redis://:secret@127.0.0.1"}) {
    INFO(url);
    std::string out;
    CHECK(run_binary(std::string("--redis '") + url + "'", &out) == 2);
    CHECK(out.find("--redis") != std::string::npos);
    CHECK(out.find("secret") == std::string::npos);
  }
}
