// TURN REST credentials from the real server, checked against a real coturn on loopback:
// turnutils_uclient must allocate with them, and must fail with a tampered password.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "harness.h"
#include "protocol/signal.h"

using namespace ferry::itest;
namespace proto = ferry::protocol;

namespace {

int run(const std::string& cmd) {
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// coturn with use-auth-secret on loopback, configured only by flags and files in a temp dir.
struct Coturn {
  Coturn(const std::string& secret, uint16_t port) {
    char tmpl[] = "/tmp/ferry-turn-XXXXXX";
    dir = mkdtemp(tmpl);
    std::string p = std::to_string(port);
    std::string relay_lo = std::to_string(40000 + port % 10000), relay_hi = std::to_string(40000 + port % 10000 + 50);
    pid = fork();
    if (pid == 0) {
      std::string log = dir + "/turn.log";
      FILE* f = freopen(log.c_str(), "w", stdout);
      (void)f;
      dup2(1, 2);
      execlp("turnserver", "turnserver", "-n", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1",
             "--listening-port", p.c_str(), "--use-auth-secret", "--static-auth-secret", secret.c_str(), "--realm",
             "ferry.test", "--no-tls", "--no-dtls", "--no-cli", "--min-port", relay_lo.c_str(), "--max-port",
             relay_hi.c_str(), "--pidfile", (dir + "/turn.pid").c_str(), "--userdb", (dir + "/turndb").c_str(),
             "--log-file", "stdout", "--simple-log", "--allow-loopback-peers", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Coturn() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status;
      for (int i = 0; i < 250 && waitpid(pid, &status, WNOHANG) == 0; ++i) usleep(20'000);
      if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir;
  pid_t pid = -1;
};

}  // namespace

TEST_CASE("TURN credentials handed out by the server allocate on a real coturn") {
  if (run("command -v turnserver >/dev/null && command -v turnutils_uclient >/dev/null") != 0) {
    WARN("coturn is not installed (scripts/setup.sh installs it): skipped");
    return;
  }
  const std::string secret = "ferry-itest-shared-secret";
  uint16_t turn_port = free_port();
  REQUIRE(turn_port != 0);
  Coturn coturn(secret, turn_port);
  REQUIRE(eventually([&] { return tcp_listening(turn_port); }, 10'000ms));

  std::string url = "turn:127.0.0.1:" + std::to_string(turn_port);
  Server s({"--turn", url, "--turn-secret", secret, "--turn-ttl", "600", "--stun", "stun:127.0.0.1:" + std::to_string(turn_port)});
  REQUIRE(s.started());
  WsClient a(s.port());
  REQUIRE(a.send_text(proto::serialize(proto::ClientMessage{proto::Create{}})));
  auto created = std::get<proto::Created>(*proto::parse_server_message(a.expect("created").text));
  REQUIRE(created.ice_servers.size() == 2);
  CHECK(created.ice_servers[0].urls[0].starts_with("stun:"));
  const auto& turn = created.ice_servers[1];
  CHECK(turn.urls[0] == url);
  // username = "<expiry>:<id>", the expiry about --turn-ttl seconds from now.
  auto colon = turn.username.find(':');
  REQUIRE(colon != std::string::npos);
  long long expiry = std::stoll(turn.username.substr(0, colon));
  long long now = static_cast<long long>(time(nullptr));
  CHECK(expiry > now + 500);
  CHECK(expiry <= now + 601);

  auto uclient = [&](const std::string& password) {
    // -y: two clients relay to each other through their allocations; -n 1: one message each.
    return run("timeout 30 turnutils_uclient -y -n 1 -u '" + turn.username + "' -w '" + password + "' -p " +
               std::to_string(turn_port) + " 127.0.0.1 > " + coturn.dir + "/uclient.log 2>&1");
  };
  CHECK(uclient(turn.credential) == 0);
  std::string tampered = turn.credential;
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  CHECK(uclient(tampered) != 0);
}
