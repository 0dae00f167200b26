// The server's connection to Redis (--redis), on the server's io_context.
//
// The client is Debian's hiredis (libhiredis-dev 0.14): it speaks RESP, builds commands and
// parses replies; nothing here reads or writes the protocol. hiredis 0.14 ships adapters for
// libevent, libuv and others but none for Asio, so this file is that adapter: the
// redisAsyncContext's socket is watched with a posix::stream_descriptor (addRead/delRead/
// addWrite/delWrite arm and disarm async_wait; cleanup releases the descriptor, which hiredis
// owns and closes), all on one strand, so --threads > 1 never calls hiredis from two threads.
//
// The link's states:
//   stopped --start--> resolving --resolved--> connecting --connected, SELECT db answered--> up
//   resolving/connecting --error, or kConnectTimeout--> waiting
//   up --connection lost, or a PING unanswered for kPingTimeout--> waiting
//   waiting --back-off (kRetryFirst doubling to kRetryMax; reset once up)--> resolving
//   any --stop--> stopped
// on_status(up, why) is called on each change between up and not up (why: "connected",
// "resolve_failed", "connect_failed", "connect_timeout", "connection_lost", "ping_timeout",
// "select_failed"), on the link's strand. Nothing the server does depends on Redis answering
// fast: a dead Redis costs a failing /readyz and refused creates, never a crash or a blocked
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "beast.h"
#include "config.h"

struct redisAsyncContext;
struct redisReply;

namespace ferry::server {

// First retry after a failure; each further failure doubles it up to kRetryMax, so a Redis
// restart is noticed within a fraction of a second and an outage costs one attempt per 5 s.
constexpr auto kRedisRetryFirst = std::chrono::milliseconds(100);
constexpr auto kRedisRetryMax = std::chrono::milliseconds(5000);
// A connect (TCP + SELECT) that has not finished after this long is given up: on loopback or a
// LAN it takes well under a millisecond; 2 s allows a congested link. hiredis 0.14's async
// connect has no timeout of its own.
constexpr auto kRedisConnectTimeout = std::chrono::milliseconds(2000);
// While up, a PING every kRedisPingInterval; one unanswered for kRedisPingTimeout means Redis
// is gone (a stopped process or a black-holed link shows no socket error for minutes).
constexpr auto kRedisPingInterval = std::chrono::milliseconds(500);
constexpr auto kRedisPingTimeout = std::chrono::milliseconds(2000);

class RedisLink : public std::enable_shared_from_this<RedisLink> {
 public:
  using StatusFn = std::function<void(bool up, std::string_view why)>;
  // A command's reply, on the link's strand; null when there is none (the link is down, or the
  // connection went away before the answer). A SUBSCRIBE's is called for every message.
  using ReplyFn = std::function<void(redisReply* reply)>;
  // ping: false for a link that SUBSCRIBEs (a subscribed connection takes no PING in RESP2);
  // such a link learns of a dead Redis from its socket, and the caller's own traffic.
  RedisLink(net::io_context& ioc, RedisTarget target, StatusFn on_status, bool ping = true);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  void start();
  // Frees the connection and cancels the timers; the link stays stopped.
  void stop();
  bool up() const { return up_.load(); }
  // Sends one command (binary-safe arguments) in order after those sent before it; done (may be
  // empty) gets its reply. From any thread: the command is handed to the link's strand.
  void command(std::vector<std::string> argv, ReplyFn done = {});

 private:
  enum class State { kStopped, kResolving, kConnecting, kUp, kWaiting };
  struct Watch;  // the socket's watcher, one per redisAsyncContext

  void resolve();
  void connect(const std::string& ip);
  void on_connected(int status);
  void on_disconnected();
  void on_select(bool ok);
  void on_pong();
  void tick();
  void schedule_tick();
  // Gives up the current attempt or connection and waits for the back-off.
  void fail(std::string_view why);
  void drop_context();

  static void connect_cb(const redisAsyncContext* c, int status);
  static void disconnect_cb(const redisAsyncContext* c, int status);

  net::strand<net::io_context::executor_type> strand_;
  RedisTarget target_;
  StatusFn on_status_;
  tcp::resolver resolver_;
  net::steady_timer retry_timer_;
  net::steady_timer tick_timer_;
  State state_ = State::kStopped;
  std::atomic<bool> up_{false};
  redisAsyncContext* ctx_ = nullptr;
  std::shared_ptr<Watch> watch_;
  std::chrono::milliseconds backoff_ = kRedisRetryFirst;
  std::chrono::steady_clock::time_point attempt_started_;
  std::chrono::steady_clock::time_point ping_sent_;
  std::chrono::steady_clock::time_point last_pong_;
  bool ping_outstanding_ = false;
  bool ping_ = true;
};

}  // namespace ferry::server
