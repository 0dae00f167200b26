// hiredis's async context on Asio (see redis_link.h).
#include "redis_link.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "log.h"

namespace ferry::server {

// Watches one context's socket. hiredis calls the ev hooks with ev.data == this; the handlers
// hold a shared_ptr, so a wait that completes after cleanup finds `dead` set and does nothing.
struct RedisLink::Watch : std::enable_shared_from_this<Watch> {
  Watch(net::strand<net::io_context::executor_type> ex, redisAsyncContext* c, int fd) : ctx(c), socket(ex, fd) {}

  redisAsyncContext* ctx;
  net::posix::stream_descriptor socket;
  bool reading = false, writing = false;
  bool read_armed = false, write_armed = false;
  bool dead = false;

  // One async_wait per direction at a time; each completion hands the socket to hiredis and
  // waits again while hiredis still wants that direction.
  void arm(bool write) {
    bool& armed = write ? write_armed : read_armed;
    if (armed || dead || !(write ? writing : reading)) return;
    armed = true;
    auto which = write ? net::posix::stream_descriptor::wait_write : net::posix::stream_descriptor::wait_read;
    socket.async_wait(which, [self = shared_from_this(), write](beast::error_code ec) {
      (write ? self->write_armed : self->read_armed) = false;
      if (ec || self->dead || !(write ? self->writing : self->reading)) return;
      if (write) {
        redisAsyncHandleWrite(self->ctx);
      } else {
        redisAsyncHandleRead(self->ctx);  // may free the context (cleanup sets dead)
      }
      self->arm(write);
    });
  }

  static Watch* of(void* p) { return static_cast<Watch*>(p); }
  static void add_read(void* p) { of(p)->reading = true; of(p)->arm(false); }
  static void del_read(void* p) { of(p)->reading = false; }
  static void add_write(void* p) { of(p)->writing = true; of(p)->arm(true); }
  static void del_write(void* p) { of(p)->writing = false; }
  // The context is being freed: hiredis closes the fd itself, so the descriptor lets go of it.
  static void cleanup(void* p) {
    Watch* w = of(p);
    w->dead = true;
    w->reading = w->writing = false;
    beast::error_code ec;
    w->socket.cancel(ec);
    w->socket.release();
  }
};

RedisLink::RedisLink(net::io_context& ioc, RedisTarget target, StatusFn on_status, bool ping)
    : strand_(net::make_strand(ioc)),
      target_(std::move(target)),
      on_status_(std::move(on_status)),
      resolver_(strand_),
      retry_timer_(strand_),
      tick_timer_(strand_),
      ping_(ping) {}

namespace {
// The privdata of one command: its callback, and whether it stays for more replies (SUBSCRIBE).
struct Pending {
  RedisLink::ReplyFn done;
  bool repeats = false;
};

void reply_cb(redisAsyncContext*, void* r, void* privdata) {
  auto* p = static_cast<Pending*>(privdata);
  auto* reply = static_cast<redisReply*>(r);
  if (p->done) p->done(reply);
  // No reply: the context is being freed and calls each callback a last time.
  if (!reply || !p->repeats) delete p;
}
}  // namespace

void RedisLink::command(std::vector<std::string> argv, ReplyFn done) {
  net::dispatch(strand_, [self = shared_from_this(), argv = std::move(argv), done = std::move(done)]() mutable {
    if (self->state_ != State::kUp || !self->ctx_ || argv.empty()) {
      if (done) done(nullptr);
      return;
    }
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    bool repeats = argv[0] == "SUBSCRIBE";
    auto* p = new Pending{std::move(done), repeats};
    if (redisAsyncCommandArgv(self->ctx_, &reply_cb, p, static_cast<int>(argv.size()), ptrs.data(), lens.data()) !=
        REDIS_OK) {
      if (p->done) p->done(nullptr);
      delete p;
    }
  });
}

RedisLink::~RedisLink() {
  state_ = State::kStopped;
  drop_context();
}

void RedisLink::start() {
  net::dispatch(strand_, [self = shared_from_this()] {
    if (self->state_ != State::kStopped) return;
    self->resolve();
    self->schedule_tick();
  });
}

void RedisLink::stop() {
  net::dispatch(strand_, [self = shared_from_this()] {
    self->state_ = State::kStopped;
    self->resolver_.cancel();
    self->retry_timer_.cancel();
    self->tick_timer_.cancel();
    self->drop_context();
    self->up_ = false;
  });
}

void RedisLink::resolve() {
  state_ = State::kResolving;
  attempt_started_ = std::chrono::steady_clock::now();
  // Resolved here, not by hiredis: its connect calls getaddrinfo, which would block the thread.
  resolver_.async_resolve(target_.host, std::to_string(target_.port),
                          [weak = weak_from_this()](beast::error_code ec, const tcp::resolver::results_type& results) {
                            auto self = weak.lock();
                            if (!self || self->state_ != State::kResolving) return;
                            if (ec || results.empty()) return self->fail("resolve_failed");
                            self->connect(results.begin()->endpoint().address().to_string());
                          });
}

void RedisLink::connect(const std::string& ip) {
  state_ = State::kConnecting;
  redisAsyncContext* c = redisAsyncConnect(ip.c_str(), target_.port);
  if (!c) return fail("connect_failed");
  if (c->err) {
    redisAsyncFree(c);
    return fail("connect_failed");
  }
  ctx_ = c;
  c->data = this;
  watch_ = std::make_shared<Watch>(strand_, c, c->c.fd);
  c->ev.data = watch_.get();
  c->ev.addRead = &Watch::add_read;
  c->ev.delRead = &Watch::del_read;
  c->ev.addWrite = &Watch::add_write;
  c->ev.delWrite = &Watch::del_write;
  c->ev.cleanup = &Watch::cleanup;
  // The hooks first: setting the connect callback arms the write watch.
  redisAsyncSetConnectCallback(c, &RedisLink::connect_cb);
  redisAsyncSetDisconnectCallback(c, &RedisLink::disconnect_cb);
}

void RedisLink::connect_cb(const redisAsyncContext* c, int status) {
  auto* self = static_cast<RedisLink*>(c->data);
  if (self && self->ctx_ == c) self->on_connected(status);
}

void RedisLink::disconnect_cb(const redisAsyncContext* c, int) {
  auto* self = static_cast<RedisLink*>(c->data);
  if (self && self->ctx_ == c) self->on_disconnected();
}

void RedisLink::on_connected(int status) {
  if (state_ != State::kConnecting) return;
  if (status != REDIS_OK) {
    ctx_ = nullptr;  // hiredis frees a context whose connect failed, after this callback
    watch_.reset();
    return fail("connect_failed");
  }
  // SELECT answers only once the server is really serving (not loading its data set), so it is
  // the readiness check as well as the database choice.
  redisAsyncCommand(
      ctx_,
      [](redisAsyncContext* c, void* r, void*) {
        auto* self = static_cast<RedisLink*>(c->data);
        // No reply: the context is being freed, and the disconnect callback reports it.
        if (!self || self->ctx_ != c || !r) return;
        auto* reply = static_cast<redisReply*>(r);
        self->on_select(reply->type == REDIS_REPLY_STATUS);
      },
      nullptr, "SELECT %d", target_.db);
}

void RedisLink::on_select(bool ok) {
  if (state_ != State::kConnecting) return;
  if (!ok) return fail("select_failed");
  state_ = State::kUp;
  backoff_ = kRedisRetryFirst;
  ping_outstanding_ = false;
  last_pong_ = std::chrono::steady_clock::now();
  up_ = true;
  log_event("redis_up", {{"host", target_.host}, {"port", std::to_string(target_.port)}, {"db", std::to_string(target_.db)}});
  if (on_status_) on_status_(true, "connected");
}

void RedisLink::on_disconnected() {
  ctx_ = nullptr;  // hiredis frees it after this callback
  watch_.reset();
  fail("connection_lost");
}

void RedisLink::on_pong() {
  ping_outstanding_ = false;
  last_pong_ = std::chrono::steady_clock::now();
}

void RedisLink::schedule_tick() {
  // A quarter of the ping interval: timeouts are noticed within 125 ms of being due.
  tick_timer_.expires_after(kRedisPingInterval / 4);
  tick_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ == State::kStopped) return;
    self->tick();
    self->schedule_tick();
  });
}

void RedisLink::tick() {
  auto now = std::chrono::steady_clock::now();
  if ((state_ == State::kResolving || state_ == State::kConnecting) && now - attempt_started_ > kRedisConnectTimeout) {
    return fail("connect_timeout");
  }
  if (state_ != State::kUp || !ping_) return;
  if (ping_outstanding_) {
    if (now - ping_sent_ > kRedisPingTimeout) fail("ping_timeout");
    return;
  }
  if (now - last_pong_ < kRedisPingInterval) return;
  ping_outstanding_ = true;
  ping_sent_ = now;
  redisAsyncCommand(
      ctx_,
      [](redisAsyncContext* c, void* r, void*) {
        auto* self = static_cast<RedisLink*>(c->data);
        if (!self || self->ctx_ != c || !r) return;  // no reply: the context is going away
        self->on_pong();
      },
      nullptr, "PING");
}

void RedisLink::drop_context() {
  if (!ctx_) return;
  redisAsyncContext* c = ctx_;
  ctx_ = nullptr;  // its callbacks, run by the free below with no reply, see it is not current
  redisAsyncFree(c);
  watch_.reset();
}

void RedisLink::fail(std::string_view why) {
  if (state_ == State::kStopped || state_ == State::kWaiting) return;
  state_ = State::kWaiting;
  resolver_.cancel();
  drop_context();
  bool was_up = up_.exchange(false);
  log_event("redis_down", {{"reason", std::string(why)}, {"retry_ms", std::to_string(backoff_.count())}});
  if (was_up && on_status_) on_status_(false, why);
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kRedisRetryMax);
  retry_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ != State::kWaiting) return;
    self->resolve();
  });
}

}  // namespace ferry::server
