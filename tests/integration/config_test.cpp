// Command-line and environment configuration of the real binary.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "harness.h"
#include "protocol/signal.h"

using namespace ferry::itest;

namespace {

// Runs the binary to completion; returns its exit status and output.
int run_binary(const std::string& args, std::string* output) {
  std::string cmd = std::string("timeout 10 ") + FERRY_SERVER_BIN + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("--help lists the flags and exits 0") {
  std::string out;
  CHECK(run_binary("--help", &out) == 0);
  for (const char* flag : {"--port", "--bind", "--web-root", "--cert", "--key", "--self-signed", "--stun", "--turn",
                           "--turn-secret", "--grace", "--max-message", "--relay-rate", "--relay-total-rate",
                           "FERRY_RELAY_RATE", "FERRY_PORT"}) {
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
