// Operating the real binary (issue 14, "Operations"): readiness apart from liveness, the
// SIGTERM drain with its close code 4013 moved, and JSON logs.
#include <signal.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "harness.h"
#include "peers.h"

using namespace ferry::itest;

namespace {

const std::string kShellRoot = std::string(FERRY_SOURCE_DIR) + "/shell";            // has index.html
const std::string kNoPageRoot = std::string(FERRY_SOURCE_DIR) + "/tests/integration";  // has none

// The drain grace of these tests: long enough for a few loopback round trips on a busy
// machine, short enough to wait for.
constexpr auto kDrainGrace = std::chrono::milliseconds(3000);
const std::string kDrainGraceSeconds = "3";

}  // namespace

TEST_CASE("/readyz is 200 ready while the page can be served; /healthz is 200 too") {
  Server s({"--web-root", kShellRoot});
  REQUIRE(s.started());
  auto ready = http_request(s.port(), "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body == "ready\n");
  CHECK(http_request(s.port(), "/healthz").status == 200);
}

TEST_CASE("/readyz is 503 no_web_client without a page to serve, unless --signal-only; /healthz stays 200") {
  Server s({"--web-root", kNoPageRoot});
  REQUIRE(s.started());
  auto ready = http_request(s.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body == "no_web_client\n");
  CHECK(http_request(s.port(), "/healthz").status == 200);
  Server signal_only({"--web-root", kNoPageRoot, "--signal-only"});
  REQUIRE(signal_only.started());
  CHECK(http_request(signal_only.port(), "/readyz").status == 200);
}

TEST_CASE("SIGTERM with --drain-grace fails /readyz and refuses new sessions, lets live ones go on, then closes them with 4013 moved") {
  Server s({"--web-root", kShellRoot, "--drain-grace", kDrainGraceSeconds});
  REQUIRE(s.started());
  Neighbours live(s.port());
  auto signalled = std::chrono::steady_clock::now();
  s.signal(SIGTERM);
  CHECK(eventually([&] { return http_request(s.port(), "/readyz").status == 503; }));
  CHECK(http_request(s.port(), "/readyz").body == "draining\n");
  CHECK(http_request(s.port(), "/healthz").status == 200);  // alive: not to be restarted
  // No new session on a draining instance: refused before the upgrade.
  WsClient late(s.port());
  CHECK_FALSE(late.connected());
  CHECK(http_request(s.port(), "/ws", {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}}).status == 503);
  // The live room goes on within the grace.
  CHECK(live.still_working());
  // Then both peers are told to move, not before the grace, and the process exits cleanly.
  CHECK(live.a.wait_close(kDrainGrace + 5000ms) == 4013);
  CHECK(std::chrono::steady_clock::now() - signalled >= kDrainGrace - 100ms);
  CHECK(live.b.wait_close() == 4013);
  CHECK(s.wait_exit(5000ms) == 0);
  std::string log = s.log();
  CHECK(log.find("event=draining signal=15 grace_ms=3000") != std::string::npos);
  CHECK(log.find("event=shutdown reason=drained") != std::string::npos);
  CHECK(log.find("event=stopped") != std::string::npos);
}

TEST_CASE("a second SIGTERM during the drain stops at once with 4000 shutdown") {
  Server s({"--web-root", kShellRoot, "--drain-grace", "600", "--threads", "2"});  // signals and timer on several threads
  REQUIRE(s.started());
  Neighbours live(s.port());
  s.signal(SIGTERM);
  REQUIRE(eventually([&] { return http_request(s.port(), "/readyz").status == 503; }));
  s.signal(SIGTERM);
  CHECK(live.a.wait_close() == 4000);
  CHECK(live.b.wait_close() == 4000);
  CHECK(s.wait_exit(5000ms) == 0);
}

TEST_CASE("--drain-grace and --log-format refuse bad values") {
  for (const char* grace : {"-1", "soon", "3601"}) {
    Server s({"--drain-grace", grace});
    CHECK_FALSE(s.started());
  }
  Server xml({"--log-format", "xml"});
  CHECK_FALSE(xml.started());
}

TEST_CASE("--log-format json writes every event as one JSON object, ts and event first") {
  Server s({"--log-format", "json"});
  REQUIRE(s.started());
  {
    Room r(s.port());
    // A client's text reaches the log only through fixed fields; an Origin with a quote and a
    // control byte must still give valid JSON.
    WsClient odd(s.port(), {{"Origin", "http://evil\".example"}});
    CHECK_FALSE(odd.connected());
  }
  REQUIRE(s.terminate() == 0);
  std::istringstream in(s.log());
  std::string line;
  std::vector<std::string> events;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    auto j = nlohmann::ordered_json::parse(line, nullptr, false);
    INFO(line);
    REQUIRE(j.is_object());
    REQUIRE(j.size() >= 2);
    CHECK(j.begin().key() == "ts");
    CHECK(j.begin().value().is_number_integer());
    CHECK(std::next(j.begin()).key() == "event");
    events.push_back(j["event"].get<std::string>());
  }
  CHECK(lines >= 4);
  for (const char* e : {"listening", "room_created", "refused", "shutdown", "stopped"}) {
    INFO(e);
    CHECK(std::find(events.begin(), events.end(), e) != events.end());
  }
}
