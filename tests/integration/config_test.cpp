// Command-line and environment configuration of the real binary.
#include <catch2/catch.hpp>

#include "harness.h"
#include "protocol/signal.h"

using namespace ferry::itest;

TEST_CASE("--help lists the flags and exits 0") {
  std::string out;
  CHECK(run_binary("--help", &out) == 0);
  for (const char* flag : {"--port", "--bind", "--web-root", "--cert", "--key", "--self-signed", "--stun", "--turn",
                           "--turn-secret", "--grace", "--max-message", "--relay-rate", "--relay-total-rate",
                           "FERRY_RELAY_RATE", "FERRY_PORT", "--jwt-key", "--jwt-required", "--jwt-audience",
                           "--jwt-issuer", "FERRY_JWT_KEY"}) {
    CHECK(out.find(flag) != std::string::npos);
  }
}

TEST_CASE("a bad flag is refused with exit status 2 and a message") {
  std::string out;
  CHECK(run_binary("--port banana", &out) == 2);
  CHECK(out.find("--port") != std::string::npos);
  out.clear();
  CHECK(run_binary("--frobnicate", &out) == 2);
}

TEST_CASE("an unknown flag, a bad value, a missing value and a stray argument each exit 2 naming the culprit") {
  std::string out;
  CHECK(run_binary("--port 0 --frobnicate", &out) == 2);
  CHECK(out.find("--frobnicate") != std::string::npos);
  CHECK(out.find("--help") != std::string::npos);
  out.clear();
  CHECK(run_binary("--msg-rate=fast", &out) == 2);
  CHECK(out.find("--msg-rate has a bad value: fast") != std::string::npos);
  out.clear();
  CHECK(run_binary("--max-connections", &out) == 2);
  CHECK(out.find("--max-connections") != std::string::npos);
  out.clear();
  CHECK(run_binary("--stun stun:a:1 stray", &out) == 2);
  CHECK(out.find("stray") != std::string::npos);
  out.clear();
  CHECK(run_binary("--jwt-required sometimes", &out) == 2);
  CHECK(out.find("--jwt-required has a bad value: sometimes") != std::string::npos);
  out.clear();
  CHECK(run_binary("--jwt-key", &out) == 2);
  out.clear();
  CHECK(run_binary("", &out, "FERRY_IDLE_TIMEOUT=never ") == 2);
  CHECK(out.find("FERRY_IDLE_TIMEOUT has a bad value: never") != std::string::npos);
}

TEST_CASE("FERRY_ environment variables configure the server") {
  Server s({}, {{"FERRY_UNJOINED_TTL", "1"}, {"FERRY_STUN", "stun:stun.example.org:3478"}});
  REQUIRE(s.started());
  WsClient a(s.port());
  REQUIRE(a.send_text(R"({"v":1,"type":"create"})"));
  auto created = a.expect("created").json();
  REQUIRE(created["ice_servers"].size() == 1);
  CHECK(created["ice_servers"][0]["urls"][0] == "stun:stun.example.org:3478");
  CHECK(a.wait_close(3000ms) == 4006);  // the 1 s unjoined TTL from the environment
}
