// ferry-wanem: a userspace WAN emulator for the tests. It creates two TAP devices and moves
// every Ethernet frame from one to the other through a WanLink (wan_link.h) per direction:
// delay, jitter, random loss and a rate cap. The kernel here has no `tc netem`; TAP devices work.
//
//   ferry-wanem --tap-a wa0 --tap-b wb0 --rtt-ms 150 --loss 0.01 [--jitter-ms 2]
//               [--rate-mbit 100] [--queue-ms 50] [--seed 1]
//
// Both directions get the same parameters: half the RTT each way, and the loss on each
// crossing (a round trip is lost with probability 1 - (1 - loss)^2). It prints "ready" once
// both devices exist; the caller then moves them into the test namespaces and brings them up
// (tests/e2e/lib/net.mjs). A line on stdin changes the parameters of both directions from then
// on, e.g. "rtt-ms=50 loss=0.005 rate-mbit=100" (keys as the options; the others keep their
// values); it answers "ok" or "error: ...". SIGTERM, SIGINT or the end of stdin ends it: it
// prints one JSON line of counters per direction, and the devices vanish with it.
//
// Lacks: reordering, correlated (burst) loss, duplication, corruption.
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "wan_link.h"

namespace {

namespace po = boost::program_options;
using ferry::tools::WanLink;
using ferry::tools::WanParams;

// Largest frame a TAP device hands us without offloads (IFF_VNET_HDR is not set): an MTU of
// 1500 plus the Ethernet header, with room to spare for a larger MTU a test might set.
constexpr size_t kMaxFrameBytes = 65536;
// ppoll's wait when nothing is held: only signals and frames wake us anyway.
constexpr int64_t kIdleWaitNs = 1'000'000'000;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// A TAP device named `name` (in this process's network namespace), non-blocking.
int open_tap(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    std::cerr << "ferry-wanem: bad device name '" << name << "'\n";
    return -1;
  }
  const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    std::cerr << "ferry-wanem: /dev/net/tun: " << std::strerror(errno) << "\n";
    return -1;
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    std::cerr << "ferry-wanem: TUNSETIFF " << name << ": " << std::strerror(errno) << "\n";
    close(fd);
    return -1;
  }
  return fd;
}

struct Direction {
  const char* name;
  int from;
  int to;
  WanLink link;
  uint64_t write_failures = 0;  // the far device was down or its queue full: the frame is lost
};

// Applies "key=value ..." to `p`; false (and `p` unchanged) on a bad key or value.
bool apply_settings(const std::string& line, WanParams& p) {
  WanParams next = p;
  size_t at = 0;
  while (at < line.size()) {
    const size_t end = std::min(line.find(' ', at), line.size());
    const std::string item = line.substr(at, end - at);
    at = end + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = item.substr(0, eq);
    char* stop = nullptr;
    const double v = std::strtod(item.c_str() + eq + 1, &stop);
    if (stop == item.c_str() + eq + 1 || *stop != '\0' || !std::isfinite(v) || v < 0) return false;
    if (key == "rtt-ms") {
      next.delay_ns = std::llround(v * 1e6 / 2);
    } else if (key == "jitter-ms") {
      next.jitter_ns = std::llround(v * 1e6);
    } else if (key == "loss" && v <= 1) {
      next.loss = v;
    } else if (key == "rate-mbit") {
      next.rate_bits_per_s = v * 1e6;
    } else if (key == "queue-ms" && v > 0) {
      next.queue_ns = std::llround(v * 1e6);
    } else {
      return false;
    }
  }
  p = next;
  return true;
}

void print_counters(const std::array<Direction*, 2>& dirs) {
  std::printf("{");
  for (size_t i = 0; i < dirs.size(); ++i) {
    const auto& c = dirs[i]->link.counters();
    std::printf("%s\"%s\":{\"in\":%llu,\"lost\":%llu,\"queue_full\":%llu,\"out\":%llu,\"bytes_out\":%llu,"
                "\"write_failures\":%llu}",
                i ? "," : "", dirs[i]->name, static_cast<unsigned long long>(c.frames_in),
                static_cast<unsigned long long>(c.frames_lost),
                static_cast<unsigned long long>(c.frames_queue_full),
                static_cast<unsigned long long>(c.frames_out),
                static_cast<unsigned long long>(c.bytes_out),
                static_cast<unsigned long long>(dirs[i]->write_failures));
  }
  std::printf("}\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string tap_a;
  std::string tap_b;
  double rtt_ms = 0;
  double jitter_ms = 0;
  double loss = 0;
  double rate_mbit = 0;
  double queue_ms = 50;
  uint64_t seed = 1;
  po::options_description opts("ferry-wanem options");
  opts.add_options()
      ("help", "this text")
      ("tap-a", po::value(&tap_a)->required(), "first TAP device to create")
      ("tap-b", po::value(&tap_b)->required(), "second TAP device to create")
      ("rtt-ms", po::value(&rtt_ms), "round-trip delay added, ms (half each way)")
      ("jitter-ms", po::value(&jitter_ms), "each frame's delay varies by up to this, ms (no reordering)")
      ("loss", po::value(&loss), "probability that a frame is lost on each crossing, 0..1")
      ("rate-mbit", po::value(&rate_mbit), "rate cap each way, Mbit/s (0: none)")
      ("queue-ms", po::value(&queue_ms), "with a rate cap: the longest a frame waits before it is dropped, ms")
      ("seed", po::value(&seed), "seed of the loss and jitter generator");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::cout << opts << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "ferry-wanem: " << e.what() << "\n" << opts << "\n";
    return 2;
  }
  if (rtt_ms < 0 || jitter_ms < 0 || !(loss >= 0 && loss <= 1) || rate_mbit < 0 || queue_ms <= 0) {
    std::cerr << "ferry-wanem: --rtt-ms, --jitter-ms, --rate-mbit must be >= 0, --loss in 0..1, --queue-ms > 0\n";
    return 2;
  }

  WanParams p;
  p.delay_ns = static_cast<int64_t>(std::llround(rtt_ms * 1e6 / 2));
  p.jitter_ns = static_cast<int64_t>(std::llround(jitter_ms * 1e6));
  p.loss = loss;
  p.rate_bits_per_s = rate_mbit * 1e6;
  p.queue_ns = static_cast<int64_t>(std::llround(queue_ms * 1e6));

  const int fd_a = open_tap(tap_a);
  if (fd_a < 0) return 1;
  const int fd_b = open_tap(tap_b);
  if (fd_b < 0) return 1;

  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, nullptr);
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigset_t wait_mask;  // signals get through only while we wait in ppoll: no lost wake-up
  sigemptyset(&wait_mask);

  Direction a_to_b{"a_to_b", fd_a, fd_b, WanLink(p, seed)};
  Direction b_to_a{"b_to_a", fd_b, fd_a, WanLink(p, seed ^ 0x9e3779b97f4a7c15ull)};
  const std::array<Direction*, 2> dirs{&a_to_b, &b_to_a};
  std::printf("ready %s %s\n", tap_a.c_str(), tap_b.c_str());
  std::fflush(stdout);

  std::vector<uint8_t> buf(kMaxFrameBytes);
  std::vector<uint8_t> frame;
  std::string input;  // stdin, up to its next newline
  while (!g_stop) {
    int64_t now = now_ns();
    int64_t next = -1;
    for (Direction* d : dirs) {
      while (d->link.pop_due(now, frame)) {
        if (write(d->to, frame.data(), frame.size()) != static_cast<ssize_t>(frame.size())) ++d->write_failures;
      }
      const int64_t due = d->link.next_due_ns();
      if (due >= 0 && (next < 0 || due < next)) next = due;
    }
    const int64_t wait = next < 0 ? kIdleWaitNs : std::max<int64_t>(0, next - now);
    timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
    std::array<pollfd, 3> pfds{pollfd{fd_a, POLLIN, 0}, pollfd{fd_b, POLLIN, 0},
                               pollfd{STDIN_FILENO, POLLIN, 0}};
    const int n = ppoll(pfds.data(), pfds.size(), &ts, &wait_mask);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::cerr << "ferry-wanem: ppoll: " << std::strerror(errno) << "\n";
      break;
    }
    if (pfds[2].revents & (POLLIN | POLLHUP)) {
      char tmp[256];
      const ssize_t got = read(STDIN_FILENO, tmp, sizeof tmp);
      if (got <= 0) break;  // stdin closed: the caller is gone
      input.append(tmp, static_cast<size_t>(got));
      for (size_t nl; (nl = input.find('\n')) != std::string::npos;) {
        WanParams wanted = a_to_b.link.params();
        const bool ok = apply_settings(input.substr(0, nl), wanted);
        input.erase(0, nl + 1);
        if (ok) {
          a_to_b.link.set_params(wanted);
          b_to_a.link.set_params(wanted);
        }
        std::printf(ok ? "ok\n" : "error: expected key=value ... with keys rtt-ms, jitter-ms, loss, rate-mbit, queue-ms\n");
        std::fflush(stdout);
      }
      if (input.size() > 4096) input.clear();  // no newline in sight: not a command
    }
    for (size_t i = 0; i < 2; ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      for (;;) {
        const ssize_t got = read(dirs[i]->from, buf.data(), buf.size());
        if (got <= 0) break;  // EAGAIN: drained; an error on a vanished device ends the reads
        dirs[i]->link.push(std::vector<uint8_t>(buf.begin(), buf.begin() + got), now_ns());
      }
    }
  }
  print_counters(dirs);
  close(fd_a);
  close(fd_b);
  return 0;
}
