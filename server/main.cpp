// ferry-server: serves the Ferry web client and relays its signalling. See --help.
#include <atomic>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include "beast.h"
#include "close_codes.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "redis_rooms.h"
#include "shared_state.h"
#include "tls.h"

namespace fs = ferry::server;
namespace net = boost::asio;

namespace {

// How often rooms are checked for expiry: well under the shortest timeout tests configure (1 s).
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
// Time given to peers to receive their close frame at shutdown before the process exits.
constexpr auto kShutdownGrace = std::chrono::seconds(2);
// How often shutdown checks whether every peer has gone.
constexpr auto kShutdownPoll = std::chrono::milliseconds(20);

void schedule_sweep(net::steady_timer& timer, const std::shared_ptr<fs::SharedState>& state) {
  timer.expires_after(kSweepInterval);
  timer.async_wait([&timer, state](fs::beast::error_code ec) {
    if (ec) return;
    state->sweep();
    schedule_sweep(timer, state);
  });
}

// Stops the process once every WebSocket peer has closed, or at the deadline.
void wait_for_peers(net::steady_timer& timer, const std::shared_ptr<fs::SharedState>& state, net::io_context& ioc,
                    std::chrono::steady_clock::time_point deadline) {
  if (state->connection_count() == 0 || std::chrono::steady_clock::now() >= deadline) {
    ioc.stop();
    return;
  }
  timer.expires_after(kShutdownPoll);
  timer.async_wait([&timer, state, &ioc, deadline](fs::beast::error_code ec) {
    if (!ec) wait_for_peers(timer, state, ioc, deadline);
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool help = false;
  auto config = fs::parse_config(args, [](const char* name) { return std::getenv(name); }, &help);
  if (help) {
    std::cout << fs::usage();
    return 0;
  }
  if (!config) {
    std::cerr << "ferry-server: " << config.error().message << "\n";
    return 2;
  }
  fs::set_log_format(config->log_format);

  net::io_context ioc{config->threads};
  std::unique_ptr<fs::ssl::context> tls;
  if (!config->cert.empty() || config->self_signed) {
    tls = std::make_unique<fs::ssl::context>(fs::ssl::context::tls_server);
    if (!config->cert.empty()) {
      if (auto s = fs::load_certificate(*tls, config->cert, config->key); !s) {
        std::cerr << "ferry-server: " << s.error().message << "\n";
        return 2;
      }
    } else {
      std::string fingerprint;
      if (auto s = fs::make_self_signed(*tls, config->bind, &fingerprint); !s) {
        std::cerr << "ferry-server: " << s.error().message << "\n";
        return 2;
      }
      fs::log_event("self_signed_certificate", {{"sha256", fingerprint}});
    }
  }

  std::shared_ptr<const fs::JwtVerifier> jwt;
  if (!config->jwt_key.empty()) {
    auto verifier = fs::JwtVerifier::load(config->jwt_key, config->jwt_audience, config->jwt_issuer);
    if (!verifier) {
      std::cerr << "ferry-server: " << verifier.error().message << "\n";
      return 2;
    }
    jwt = std::make_shared<const fs::JwtVerifier>(std::move(*verifier));
    fs::log_event("jwt", {{"alg", std::string(fs::jwt_alg_name(jwt->alg()))},
                          {"audience", config->jwt_audience},
                          {"issuer", config->jwt_issuer}});
  }
  auto state = std::make_shared<fs::SharedState>(*config, fs::system_clocks(), ferry::default_random(), jwt);
  fs::beast::error_code ec;
  auto address = net::ip::make_address(config->bind, ec);
  if (ec) {
    std::cerr << "ferry-server: bad --bind address " << config->bind << "\n";
    return 2;
  }
  auto listener = std::make_shared<fs::Listener>(ioc, tls.get(), fs::tcp::endpoint{address, config->port}, state, ec);
  if (ec) {
    std::cerr << "ferry-server: cannot listen on " << config->bind << ":" << config->port << ": " << ec.message()
              << "\n";
    return 1;
  }
  listener->run();
  auto ep = listener->local_endpoint();
  fs::log_event("listening", {{"address", ep.address().to_string()},
                              {"port", std::to_string(ep.port())},
                              {"tls", tls ? "1" : "0"},
                              {"web_root", config->web_root},
                              {"stun", std::to_string(config->ice.stun_urls.size())},
                              {"turn", std::to_string(config->ice.turn_urls.size())}});

  net::steady_timer sweep_timer(ioc);
  schedule_sweep(sweep_timer, state);

  // --redis: rooms shared with the other instances (redis_rooms.h); its links tell the shared
  // state whether Redis answers (/readyz, creates).
  std::shared_ptr<fs::RedisRooms> redis;
  if (config->redis) {
    redis = std::make_shared<fs::RedisRooms>(ioc, *config->redis, state);
    state->set_remote(redis);
    redis->start();
  }

  net::steady_timer stop_timer(ioc);
  // The signals and the drain's timer share a strand: with --threads > 1 a second signal and
  // the end of the grace would otherwise race on the timer.
  auto control = net::make_strand(ioc);
  net::steady_timer drain_timer(control);
  std::atomic<bool> stopping{false};
  // Closes every connection with `code`, stops accepting, and exits once they are gone.
  auto stop = [&](fs::CloseCode code, std::initializer_list<std::pair<std::string_view, std::string>> why) {
    if (stopping.exchange(true)) return;
    fs::log_event("shutdown", why);
    listener->stop();
    state->shutdown(code);
    sweep_timer.cancel();
    drain_timer.cancel();
    if (redis) redis->stop();
    wait_for_peers(stop_timer, state, ioc, std::chrono::steady_clock::now() + kShutdownGrace);
  };
  // SIGTERM with --drain-grace drains first (config.h); SIGINT, a second signal, or SIGTERM
  // without a grace stop at once.
  net::signal_set signals(control, SIGINT, SIGTERM);
  std::function<void(fs::beast::error_code, int)> on_signal = [&](fs::beast::error_code sec, int sig) {
    if (sec) return;
    if (sig == SIGTERM && config->drain_grace_ms > 0 && !state->draining()) {
      fs::log_event("draining", {{"signal", std::to_string(sig)}, {"grace_ms", std::to_string(config->drain_grace_ms)}});
      state->start_draining();
      drain_timer.expires_after(std::chrono::milliseconds(config->drain_grace_ms));
      drain_timer.async_wait([&](fs::beast::error_code tec) {
        if (!tec) stop(fs::CloseCode::kMoved, {{"reason", "drained"}});
      });
      signals.async_wait(on_signal);
      return;
    }
    stop(fs::CloseCode::kShutdown, {{"signal", std::to_string(sig)}});
  };
  signals.async_wait(on_signal);

  std::vector<std::thread> threads;
  for (int i = 1; i < config->threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  redis.reset();
  fs::log_event("stopped");
  return 0;
}
