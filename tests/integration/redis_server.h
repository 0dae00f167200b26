// A real redis-server for the integration tests (Debian's, installed by scripts/setup.sh), on a
// loopback port of its own in a temp dir, saving nothing; and the check that skips without it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "harness.h"

namespace ferry::itest {

// True (with a warning) when Debian's redis-server is not installed: the test is skipped.
inline bool redis_missing() {
  if (std::system("command -v redis-server >/dev/null") == 0) return false;
  WARN("redis-server is not installed (scripts/setup.sh installs it): skipped");
  return true;
}

// redis-server on 127.0.0.1:port, configured by flags only, in a temp dir, saving nothing.
class RedisServer {
 public:
  // On a port asked of the kernel; not started yet.
  RedisServer() : port_(free_port()) {
    REQUIRE(port_ != 0);
    char tmpl[] = "/tmp/ferry-redis-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Starts it and waits until it accepts connections.
  bool start() {
    pid_ = fork();
    if (pid_ == 0) {
      std::string log = dir_ + "/redis.log";
      FILE* f = freopen(log.c_str(), "w", stdout);
      (void)f;
      dup2(1, 2);
      std::string port = std::to_string(port_);
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", dir_.c_str(), "--daemonize", "no", "--protected-mode", "yes",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid_ > 0 && eventually([&] { return tcp_listening(port_); }, 10'000ms);
  }
  // SIGKILL by its PID (an instance of Redis dying), and the wait for it.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  void signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  uint16_t port_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace ferry::itest
