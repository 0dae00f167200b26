// Integration-test harness: starts the real ferry-server binary on a free loopback port and talks
// to it with real WebSocket and HTTP clients (Boost.Beast, kept out of this header so the test
// files compile quickly). Every wait has a time limit; nothing sleeps blindly.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace ferry::itest {

using namespace std::chrono_literals;

// The default time limit for one expected event on loopback.
constexpr auto kEventTimeout = std::chrono::milliseconds(3000);

class Server {
 public:
  // Starts ferry-server with --bind 127.0.0.1 --port 0 plus args, and waits until it listens.
  explicit Server(std::vector<std::string> args = {}, std::vector<std::pair<std::string, std::string>> env = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  // SIGTERM, then waits (up to 10 s) for the exit; returns the exit status or -1.
  int terminate();
  // Sends `sig` and returns at once.
  void signal(int sig);
  // Waits up to `timeout` for the process to exit; its exit status, or -1 (still running, or
  // killed by a signal).
  int wait_exit(std::chrono::milliseconds timeout);
  bool alive();
  // Everything the server printed to stdout so far.
  std::string log() const;
  // A memory figure of the server process from /proc/<pid>/status, in KiB: "VmRSS" (now) or
  // "VmHWM" (the peak so far). -1 when unreadable.
  long memory_kib(const std::string& field) const;

 private:
  int pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

struct HttpResponse {
  int status = 0;  // 0: no response (error says why)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

HttpResponse http_request(uint16_t port, const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers = {},
                          const std::string& method = "GET");

class WsClient {
 public:
  struct Event {
    enum class Kind { kMessage, kClosed, kTimeout, kError } kind = Kind::kError;
    std::string text;     // the message's bytes (text or binary)
    bool binary = false;  // a binary message
    int close_code = 0;
    std::string error;
    nlohmann::json json() const;  // the message as JSON (discarded when not a message)
    std::string type() const;     // the message's "type", or "" when not a message
  };

  using Headers = std::vector<std::pair<std::string, std::string>>;
  // Connects to ws://127.0.0.1:port/ws offering subprotocol (empty: offer none), with extra
  // request headers (Origin, X-Forwarded-For, ...).
  explicit WsClient(uint16_t port, const std::string& subprotocol = "ferry.v1", const std::string& path = "/ws",
                    const Headers& headers = {});
  // The same with the default subprotocol and path.
  WsClient(uint16_t port, const Headers& headers) : WsClient(port, "ferry.v1", "/ws", headers) {}
  ~WsClient();
  bool connected() const;
  const std::string& connect_error() const;
  std::string negotiated_subprotocol() const;

  bool send_text(const std::string& text);
  // A text message within the time limit (for a sender the server may stop reading); the stream
  // is unusable after a timeout.
  bool send_text(const std::string& text, std::chrono::milliseconds timeout);
  // A binary message; false when it failed or did not complete within the time limit (the
  // stream is unusable afterwards, as after a timed-out read).
  bool send_binary(const std::string& data, std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000));
  // Next message or close, within the time limit. Pings are answered while waiting.
  Event read(std::chrono::milliseconds timeout = kEventTimeout);
  // Reads until a close arrives (skipping messages); returns its code, or 0 on timeout/error.
  int wait_close(std::chrono::milliseconds timeout = kEventTimeout);
  // Reads until a message of this type arrives; returns it (kind kTimeout when none came).
  Event expect(const std::string& type, std::chrono::milliseconds timeout = kEventTimeout);
  // Closes the TCP connection without a closing handshake (a dropped network).
  void drop();

 private:
  bool write_for(const std::string& data, bool binary, std::chrono::milliseconds timeout);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Waits until pred() holds, checking every 20 ms, for at most timeout. Returns pred()'s last value.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = kEventTimeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    struct timespec ts {0, 20'000'000};
    nanosleep(&ts, nullptr);
  }
  return true;
}

// Runs ferry-server with args to completion (at most 10 s), with env ("NAME=value " assignments)
// before it; returns its exit status (-1 when it did not exit) and appends what it printed.
int run_binary(const std::string& args, std::string* output, const std::string& env = "");

// A port free for both TCP and UDP on 127.0.0.1 (asked of the kernel, then released), 0 if none.
uint16_t free_port();
// Whether something accepts TCP connections on 127.0.0.1:port (a helper server is up).
bool tcp_listening(uint16_t port);

// One metric's value from /metrics (-1 when absent).
double metric(uint16_t port, const std::string& name);

}  // namespace ferry::itest
