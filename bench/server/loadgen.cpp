// ferry-loadgen: the server benchmark's load generator (bench/server/README.md). Not a test and
// not part of the shipped server.
//
//   ferry-loadgen --port P [--conns 10000] [--rounds 20] [--threads 1] [--server-pid PID]
//                 [--join-port P2 --server-pid2 PID2]
//
// --join-port: the joiners connect to a second instance (both run with --redis), so every relay
// crosses instances (docs/protocol.md, "Rooms across instances"); the second server's CPU
// counts in server_us_per_msg too.
//
// Opens --conns WebSocket connections to 127.0.0.1:P, pairs them into rooms (create, join by
// token), then every room plays ping-pong --rounds times at once: the creator relays, the joiner
// answers on receipt, so each room always has one message in flight. Each payload carries its
// send time (steady clock, ns), so the receiver records the one-way relay latency.
//
// Each thread has its own io_context and owns whole rooms (both connections), so a round trip
// never crosses threads. Phases run one after the other (connect + join, then ping-pong): each is
// one run() of every io_context, and the server's CPU (/proc/PID/stat) and memory are read between
// them. Prints one JSON line: msgs, seconds, p50/p99 ms, this process's CPU for the ping-pong,
// and, with --server-pid, the server's CPU over the same interval and its RSS.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <utility>  // before awaitable.hpp, which uses std::exchange without it (Boost 1.74)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <CLI/CLI.hpp>

#include "beast.h"
#include "protocol/signal.h"

namespace {

using namespace ferry::server;  // beast, net, websocket, tcp aliases
namespace proto = ferry::protocol;
using net::awaitable;
using net::use_awaitable;
using Ws = websocket::stream<beast::tcp_stream>;

// Handshakes in flight over all threads, like the Node bench: thousands at once overflow the
// server's accept backlog (SYN retries then cost a second each).
constexpr int kConnectsInFlight = 500;
// Payload after the timestamp, so a relay is the size of a small signalling message.
constexpr std::size_t kPayloadPad = 48;

struct Options {
  unsigned short port = 0;
  unsigned short join_port = 0;  // 0: the joiners use --port too
  int conns = 10000;
  int rounds = 20;
  int threads = 1;
  long server_pid = 0;
  long server_pid2 = 0;
};

struct Room {
  std::unique_ptr<Ws> creator;
  std::unique_ptr<Ws> joiner;
};

// One thread's share: its rooms, its io_context and its latency samples.
struct Worker {
  net::io_context ioc{1};
  std::vector<Room> rooms;
  std::vector<double> latencies_ms;
  std::size_t rooms_wanted = 0;
  std::size_t next_room = 0;  // next room to set up (setup coroutines take turns)
  int errors = 0;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double cpu_seconds_self() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// utime + stime of another process, from /proc/PID/stat (USER_HZ ticks).
double cpu_seconds_of(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = all.rfind(") ");
  if (close == std::string::npos) return 0;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 0; i < 13 && rest >> field; ++i) {
    if (i == 11 || i == 12) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A "Key:   123 kB" line of /proc/PID/status, in KiB.
long status_kib(long pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return 0;
}

awaitable<std::unique_ptr<Ws>> connect(unsigned short port) {
  auto ex = co_await net::this_coro::executor;
  auto ws = std::make_unique<Ws>(ex);
  co_await beast::get_lowest_layer(*ws).async_connect(tcp::endpoint(net::ip::address_v4::loopback(), port),
                                                      use_awaitable);
  beast::get_lowest_layer(*ws).expires_never();
  beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay(true));  // as browsers do; else 40 ms ACK stalls
  ws->set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(http::field::sec_websocket_protocol, "ferry.v1"); }));
  co_await ws->async_handshake("127.0.0.1", "/ws", use_awaitable);
  ws->text(true);
  co_return ws;
}

awaitable<proto::ServerMessage> read_message(Ws& ws, beast::flat_buffer& buf) {
  buf.clear();
  co_await ws.async_read(buf, use_awaitable);
  const std::string text = beast::buffers_to_string(buf.data());
  auto m = proto::parse_server_message(text);
  if (!m) throw std::runtime_error("bad server message: " + m.error().code + ": " + text.substr(0, 200));
  co_return *m;
}

template <class T>
awaitable<T> expect(Ws& ws, beast::flat_buffer& buf) {
  for (;;) {
    auto m = co_await read_message(ws, buf);
    if (auto* t = std::get_if<T>(&m)) co_return std::move(*t);
    if (auto* e = std::get_if<proto::ErrorMessage>(&m)) throw std::runtime_error("server error: " + e->code);
  }
}

// Sets up rooms until the worker has them all; several of these run per thread.
awaitable<void> setup_rooms(Worker& w, unsigned short port, unsigned short join_port) {
  beast::flat_buffer buf;
  while (w.next_room < w.rooms_wanted) {
    Room& room = w.rooms[w.next_room++];
    try {
      room.creator = co_await connect(port);
      room.joiner = co_await connect(join_port);
      co_await room.creator->async_write(net::buffer(proto::serialize(proto::ClientMessage{proto::Create{}})),
                                         use_awaitable);
      auto created = co_await expect<proto::Created>(*room.creator, buf);
      proto::JoinByToken join{created.room, created.token};
      co_await room.joiner->async_write(net::buffer(proto::serialize(proto::ClientMessage{join})), use_awaitable);
      co_await expect<proto::Joined>(*room.joiner, buf);
      co_await expect<proto::PeerJoined>(*room.creator, buf);
    } catch (const std::exception& e) {
      if (w.errors++ == 0) std::fprintf(stderr, "ferry-loadgen: setup: %s\n", e.what());
      room.creator.reset();
      room.joiner.reset();
    }
  }
}

// The relay envelope as the web client writes it (serialize: sorted keys), with the send time.
std::string relay_message(int64_t sent_ns) {
  std::string payload = std::to_string(sent_ns);
  payload.append(kPayloadPad, 'A');
  return proto::serialize(proto::ClientMessage{proto::Relay{payload}});
}

// Reads one relayed message on ws and records its latency.
awaitable<void> receive(Worker& w, Ws& ws, beast::flat_buffer& buf) {
  buf.clear();
  co_await ws.async_read(buf, use_awaitable);
  std::string_view text(static_cast<const char*>(buf.data().data()), buf.size());
  constexpr std::string_view kKey = R"("payload":")";
  auto at = text.find(kKey);
  if (at == std::string_view::npos) throw std::runtime_error("not a relay: " + std::string(text));
  int64_t sent = 0;
  const char* digits = text.data() + at + kKey.size();
  std::from_chars(digits, text.data() + text.size(), sent);
  w.latencies_ms.push_back(static_cast<double>(now_ns() - sent) / 1e6);
}

awaitable<void> ping_pong(Worker& w, Room& room, int rounds) {
  beast::flat_buffer buf;
  try {
    for (int i = 0; i < rounds; ++i) {
      co_await room.creator->async_write(net::buffer(relay_message(now_ns())), use_awaitable);
      co_await receive(w, *room.joiner, buf);
      co_await room.joiner->async_write(net::buffer(relay_message(now_ns())), use_awaitable);
      co_await receive(w, *room.creator, buf);
    }
  } catch (const std::exception& e) {
    if (w.errors++ == 0) std::fprintf(stderr, "ferry-loadgen: relay: %s\n", e.what());
  }
}

// Runs every worker's io_context on its own thread until all its work is done.
void run_all(std::vector<std::unique_ptr<Worker>>& workers) {
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&w] {
      w->ioc.restart();
      w->ioc.run();
    });
  }
  for (auto& t : threads) t.join();
}

// The command line, through CLI11 (as ferry-server's). Returns the exit code for a bad one, or -1.
int parse_options(int argc, char** argv, Options& o) {
  CLI::App app("ferry-loadgen: the server benchmark's load generator (bench/server/README.md)");
  app.add_option("--port", o.port, "the server's port on 127.0.0.1")->required()->check(CLI::Range(1, 65535));
  app.add_option("--join-port", o.join_port, "the joiners' server (a second --redis instance)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--conns", o.conns, "connections, two per room")->check(CLI::Range(2, 1000000));
  app.add_option("--rounds", o.rounds, "ping-pong rounds per room")->check(CLI::Range(1, 1000000));
  app.add_option("--threads", o.threads, "threads, each with its own rooms")->check(CLI::Range(1, 256));
  app.add_option("--server-pid", o.server_pid, "the server, for its CPU and memory");
  app.add_option("--server-pid2", o.server_pid2, "the joiners' server, for its CPU");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (o.join_port == 0) o.join_port = o.port;
  return -1;
}

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(static_cast<double>(sorted.size()) * q))];
}

}  // namespace

namespace ferry::server {
void fail(beast::error_code, std::string_view) {}  // beast.h declares it; unused here
}  // namespace ferry::server

int main(int argc, char** argv) {
  Options o;
  if (const int code = parse_options(argc, argv, o); code >= 0) return code;
  std::vector<std::unique_ptr<Worker>> workers;
  std::size_t rooms = static_cast<std::size_t>(o.conns / 2);
  for (int t = 0; t < o.threads; ++t) {
    auto w = std::make_unique<Worker>();
    w->rooms_wanted = rooms / static_cast<std::size_t>(o.threads) + (static_cast<std::size_t>(t) < rooms % o.threads);
    w->rooms.resize(w->rooms_wanted);
    w->latencies_ms.reserve(w->rooms_wanted * static_cast<std::size_t>(o.rounds) * 2);
    workers.push_back(std::move(w));
  }

  // Phase 1: connect and pair.
  auto t0 = std::chrono::steady_clock::now();
  int setup_coroutines = std::max(1, kConnectsInFlight / 2 / o.threads);  // two connections each
  for (auto& w : workers) {
    for (int i = 0; i < setup_coroutines; ++i) net::co_spawn(w->ioc, setup_rooms(*w, o.port, o.join_port), net::detached);
  }
  run_all(workers);
  double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long rss_idle = o.server_pid ? status_kib(o.server_pid, "VmRSS") : 0;
  std::size_t ready = 0;
  for (auto& w : workers) {
    for (auto& r : w->rooms) ready += r.creator && r.joiner;
  }

  // Phase 2: every room plays ping-pong at once.
  for (auto& w : workers) {
    for (auto& r : w->rooms) {
      if (r.creator && r.joiner) net::co_spawn(w->ioc, ping_pong(*w, r, o.rounds), net::detached);
    }
  }
  double server0 = o.server_pid ? cpu_seconds_of(o.server_pid) : 0;
  double server2_0 = o.server_pid2 ? cpu_seconds_of(o.server_pid2) : 0;
  double self0 = cpu_seconds_self();
  auto t1 = std::chrono::steady_clock::now();
  run_all(workers);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  double self_cpu = cpu_seconds_self() - self0;
  double server_cpu = o.server_pid ? cpu_seconds_of(o.server_pid) - server0 : 0;
  server_cpu += o.server_pid2 ? cpu_seconds_of(o.server_pid2) - server2_0 : 0;
  long rss_peak = o.server_pid ? status_kib(o.server_pid, "VmHWM") : 0;

  std::vector<double> lat;
  int errors = 0;
  for (auto& w : workers) {
    lat.insert(lat.end(), w->latencies_ms.begin(), w->latencies_ms.end());
    errors += w->errors;
  }
  std::sort(lat.begin(), lat.end());
  double msgs = static_cast<double>(lat.size());
  std::printf(
      "{\"conns\":%zu,\"rooms\":%zu,\"setup_s\":%.3f,\"msgs\":%zu,\"seconds\":%.3f,\"msgs_per_s\":%.0f,"
      "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"loadgen_cpu_s\":%.3f,\"loadgen_us_per_msg\":%.2f,"
      "\"server_cpu_s\":%.3f,\"server_us_per_msg\":%.2f,\"server_rss_idle_kib\":%ld,\"server_rss_peak_kib\":%ld,"
      "\"errors\":%d}\n",
      ready * 2, ready, setup_s, lat.size(), seconds, msgs / seconds, percentile(lat, 0.5), percentile(lat, 0.99),
      self_cpu, self_cpu * 1e6 / std::max(msgs, 1.0), server_cpu, server_cpu * 1e6 / std::max(msgs, 1.0), rss_idle,
      rss_peak, errors);
  return errors == 0 && ready == rooms ? 0 : 1;
}
