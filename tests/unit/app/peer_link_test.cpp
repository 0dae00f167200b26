// Tests for app::PeerLink: A's attempts, ICE restarts, fresh peers, the relay fallback and B
// following A, driven by hand through a recording Host (session_test.cpp covers the link inside
// two Sessions).
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "app/peer_link.h"
#include "protocol/signal.h"

using namespace ferry;
using namespace ferry::app;

namespace {

struct FakeHost : PeerLink::Host {
  std::vector<Command> commands;
  std::vector<protocol::PeerSignal> signals;
  std::vector<std::string> logs;
  bool signalling = true;  // can_signal()
  bool present = true;     // peer_present()
  int opened = 0;
  int closed = 0;
  int path_changes = 0;
  size_t max_message_size = 0;
  std::optional<Error> failed;

  void emit(Command c) override { commands.push_back(std::move(c)); }
  void send_signal(const protocol::PeerSignal& m) override { signals.push_back(m); }
  void log(std::string text) override { logs.push_back(std::move(text)); }
  bool can_signal() const override { return signalling; }
  bool peer_present() const override { return present; }
  void on_link_opened(size_t max) override {
    ++opened;
    max_message_size = max;
  }
  void on_link_closed() override { ++closed; }
  void on_path_changed() override { ++path_changes; }
  void on_link_failed(Error e) override { failed = std::move(e); }

  template <class T>
  int count() const {
    int n = 0;
    for (const auto& c : commands) n += std::holds_alternative<T>(c);
    return n;
  }
  int ice_restarts() const {
    int n = 0;
    for (const auto& c : commands) {
      if (const auto* o = std::get_if<cmd::CreateOffer>(&c)) n += o->ice_restart;
    }
    return n;
  }
  template <class T>
  const T* last_signal() const {
    for (auto it = signals.rbegin(); it != signals.rend(); ++it) {
      if (const auto* m = std::get_if<T>(&*it)) return m;
    }
    return nullptr;
  }
};

constexpr double kStepMs = 250;

// Time passes in steps; A drives while it may signal.
double run(PeerLink& link, FakeHost& host, double from, double ms) {
  double t = from;
  for (; t < from + ms; t += kStepMs) link.tick(t, host.signalling, host);
  return t;
}

// A whose first attempt opened a direct channel at time 0.
PeerLink connected_a(FakeHost& host, int64_t relay_rate = 0) {
  PeerLink a(/*creator=*/true);
  a.set_server_offer("[]", relay_rate);
  a.start_attempt(0, host);
  a.on_channel_open(256 * 1024, host);
  REQUIRE(a.state() == PeerLink::State::kDirect);
  return a;
}

}  // namespace

TEST_CASE("A's attempt builds a new offering peer, and its offer is fresh and numbered") {
  FakeHost host;
  PeerLink a(/*creator=*/true);
  a.set_server_offer(R"([{"urls":"stun:x"}])", 0);
  a.start_attempt(0, host);
  CHECK(a.state() == PeerLink::State::kConnecting);
  REQUIRE(host.commands.size() == 3);
  CHECK(std::holds_alternative<cmd::ClosePeer>(host.commands[0]));
  const auto& peer = std::get<cmd::CreatePeer>(host.commands[1]);
  CHECK(peer.offerer);
  CHECK(peer.ice_servers_json == R"([{"urls":"stun:x"}])");
  CHECK_FALSE(std::get<cmd::CreateOffer>(host.commands[2]).ice_restart);
  a.on_local_description(R"({"type":"offer","sdp":"v=0"})", host);
  const auto* offer = host.last_signal<protocol::peer::Offer>();
  REQUIRE(offer);
  CHECK(offer->fresh);
  CHECK(offer->gen == 1);
  a.on_local_candidate("", host);
  REQUIRE(host.last_signal<protocol::peer::Ice>());
  CHECK(host.last_signal<protocol::peer::Ice>()->gen == 1);
}

TEST_CASE("the answer or candidates of an earlier attempt are not applied to the new one") {
  FakeHost host;
  PeerLink a(/*creator=*/true);
  a.start_attempt(0, host);
  a.start_attempt(5000, host);  // gen 2
  const size_t before = host.commands.size();
  a.on_signal(protocol::peer::Answer{"v=0", 1}, 5000, host);
  a.on_signal(protocol::peer::Ice{std::nullopt, 1}, 5000, host);
  CHECK(host.commands.size() == before);
  a.on_signal(protocol::peer::Answer{"v=0", 2}, 5000, host);
  CHECK(host.count<cmd::SetRemoteDescription>() == 1);
}

TEST_CASE("no channel within kDirectTimeoutMs: A falls back to the server's relay when it has one") {
  FakeHost host;
  PeerLink a(/*creator=*/true);
  a.set_server_offer("[]", 1 << 20);
  a.start_attempt(0, host);
  double t = run(a, host, 0, kDirectTimeoutMs - kStepMs);
  CHECK(a.state() == PeerLink::State::kRacing);  // the data went through the relay meanwhile
  t = run(a, host, t, 3 * kStepMs);
  CHECK(a.state() == PeerLink::State::kRelayed);
  CHECK(a.transport() == Transport::kServer);
  CHECK(a.path() == PathKind::kServer);
  CHECK(host.last_signal<protocol::peer::Relay>());
  CHECK(host.opened == 1);  // the relay's path stayed open from the race on
  CHECK(host.closed == 0);
  CHECK(host.max_message_size == protocol::kMaxRelayFrameBytes);
  CHECK(host.count<cmd::ClosePeer>() == 2);  // before the attempt, and when it was given up
  // Every later attempt goes through the relay too.
  host.signals.clear();
  a.start_attempt(t, host);
  CHECK(a.state() == PeerLink::State::kRelayed);
  CHECK(host.last_signal<protocol::peer::Relay>());
  CHECK(host.count<cmd::CreatePeer>() == 1);
}

TEST_CASE("the race starts kRaceRelayAfterMs into the attempt, not before, and the direct attempt goes on") {
  FakeHost host;
  PeerLink a(/*creator=*/true);
  a.set_server_offer("[]", 1 << 20);
  a.start_attempt(0, host);
  double t = run(a, host, 0, kRaceRelayAfterMs);  // ticks up to kRaceRelayAfterMs - kStepMs
  CHECK(a.state() == PeerLink::State::kConnecting);
  CHECK(host.signals.empty());
  CHECK(host.opened == 0);
  t = run(a, host, t, kStepMs);
  CHECK(a.state() == PeerLink::State::kRacing);
  CHECK(a.open());
  CHECK(a.transport() == Transport::kServer);
  CHECK(a.path() == PathKind::kServer);
  CHECK(host.opened == 1);
  CHECK(host.max_message_size == protocol::kMaxRelayFrameBytes);
  const auto* race = host.last_signal<protocol::peer::Race>();
  REQUIRE(race);
  CHECK(race->gen == a.peer_gen());
  CHECK_FALSE(host.last_signal<protocol::peer::Relay>());
  CHECK(host.count<cmd::ClosePeer>() == 1);  // the peer connection still tries
  CHECK_FALSE(a.use_relay());
  CHECK(host.logs.back() == "Sending through the server while a direct connection is tried");
  run(a, host, t, kDirectTimeoutMs - t - kStepMs);
  CHECK(a.state() == PeerLink::State::kRacing);
  CHECK(host.opened == 1);
}

TEST_CASE("without a relay there is no race: the attempt has its full time") {
  FakeHost host;
  PeerLink a(/*creator=*/true);
  a.start_attempt(0, host);
  run(a, host, 0, kDirectTimeoutMs - kStepMs);
  CHECK(a.state() == PeerLink::State::kConnecting);
  CHECK(host.signals.empty());
}

namespace {

// A racing: the attempt's DataChannel has not opened within kRaceRelayAfterMs.
PeerLink racing_a(FakeHost& host) {
  PeerLink a(/*creator=*/true);
  a.set_server_offer("[]", 1 << 20);
  a.start_attempt(0, host);
  run(a, host, 0, kRaceRelayAfterMs + kStepMs);
  REQUIRE(a.state() == PeerLink::State::kRacing);
  return a;
}

}  // namespace

TEST_CASE("a DataChannel that opens during the race takes the data path over, without closing it") {
  FakeHost host;
  PeerLink a = racing_a(host);
  const int queries = host.count<cmd::QueryPath>();
  a.on_channel_open(64 * 1024, host);
  CHECK(a.state() == PeerLink::State::kDirect);
  CHECK(a.transport() == Transport::kDirect);
  CHECK(host.opened == 2);  // opened again on the new path: the transfers reconnect on it
  CHECK(host.closed == 0);
  CHECK(host.max_message_size == 64 * 1024);
  CHECK(host.logs.back() == "Switched to a direct connection");
  CHECK(host.count<cmd::QueryPath>() == queries + 1);
  CHECK(a.path() == PathKind::kNone);  // until the browser tells
  a.on_path("host", host);
  CHECK(std::string(to_string(a.path())) == "direct");
  CHECK_FALSE(a.use_relay());
  // Direct from now on: no fallback, and the timeout does not apply any more.
  run(a, host, 3000, 2 * kDirectTimeoutMs);
  CHECK(a.state() == PeerLink::State::kDirect);
  CHECK_FALSE(host.last_signal<protocol::peer::Relay>());
}

TEST_CASE("ICE failing during the race leaves the data on the relay, for good") {
  FakeHost host;
  PeerLink a = racing_a(host);
  a.on_peer_state("failed", 4000, host);
  CHECK(a.state() == PeerLink::State::kRelayed);
  CHECK(host.last_signal<protocol::peer::Relay>());
  CHECK(host.count<cmd::ClosePeer>() == 2);
  CHECK(host.opened == 1);
  CHECK(host.closed == 0);
  CHECK(host.path_changes == 1);  // the session tells the person the direct attempt is over
  CHECK(a.use_relay());
}

TEST_CASE("losing the relay during the race: the direct attempt goes on, and may still open") {
  FakeHost host;
  PeerLink a = racing_a(host);
  a.on_relay_lost(host);
  CHECK(a.state() == PeerLink::State::kConnecting);
  CHECK(host.closed == 1);
  a.on_channel_open(64 * 1024, host);
  CHECK(a.state() == PeerLink::State::kDirect);
  CHECK(host.opened == 2);
}

TEST_CASE("B races on A's race of its current attempt, and ignores one of an earlier attempt") {
  FakeHost host;
  PeerLink b(/*creator=*/false);
  b.set_server_offer("[]", 1 << 20);
  b.on_signal(protocol::peer::Offer{"v=0", 2, true}, 0, host);
  b.on_signal(protocol::peer::Race{1}, 0, host);
  CHECK(b.state() == PeerLink::State::kConnecting);
  CHECK(host.opened == 0);
  b.on_signal(protocol::peer::Race{2}, 0, host);
  CHECK(b.state() == PeerLink::State::kRacing);
  CHECK(b.transport() == Transport::kServer);
  CHECK(b.path() == PathKind::kServer);
  CHECK(host.opened == 1);
  CHECK(host.count<cmd::ClosePeer>() == 1);  // the offer's: B's peer connection stays
  CHECK(host.signals.empty());               // B tells no one
  // B's own channel opens: B's data path moves to it.
  b.on_channel_open(64 * 1024, host);
  CHECK(b.state() == PeerLink::State::kDirect);
  CHECK(host.opened == 2);
  CHECK(host.closed == 0);
  // A's race message, late: the direct path won already.
  b.on_signal(protocol::peer::Race{2}, 0, host);
  CHECK(b.state() == PeerLink::State::kDirect);
  CHECK(host.opened == 2);
}

TEST_CASE("B racing follows A's relay without moving its path, and A's never races") {
  FakeHost host;
  PeerLink b(/*creator=*/false);
  b.on_signal(protocol::peer::Offer{"v=0", 1, true}, 0, host);
  b.on_signal(protocol::peer::Race{1}, 0, host);
  CHECK(b.state() == PeerLink::State::kConnecting);  // no relay offered
  b.set_server_offer("[]", 1 << 20);
  b.on_signal(protocol::peer::Race{1}, 0, host);
  REQUIRE(b.state() == PeerLink::State::kRacing);
  b.on_peer_state("failed", 0, host);  // B waits for A's word
  CHECK(b.state() == PeerLink::State::kRacing);
  b.on_signal(protocol::peer::Relay{}, 0, host);
  CHECK(b.state() == PeerLink::State::kRelayed);
  CHECK(host.opened == 1);
  CHECK(host.closed == 0);
  CHECK(host.count<cmd::ClosePeer>() == 2);
  CHECK(host.signals.empty());
  FakeHost a_host;
  PeerLink a(/*creator=*/true);
  a.set_server_offer("[]", 1 << 20);
  a.start_attempt(0, a_host);
  a.on_signal(protocol::peer::Race{1}, 0, a_host);
  CHECK(a.state() == PeerLink::State::kConnecting);
}

TEST_CASE("A's relay crossing B's switch moves B back, and B's answer makes A resume on the relay") {
  FakeHost b_host;
  PeerLink b(/*creator=*/false);
  b.set_server_offer("[]", 1 << 20);
  b.on_signal(protocol::peer::Offer{"v=0", 1, true}, 0, b_host);
  b.on_signal(protocol::peer::Race{1}, 0, b_host);
  b.on_channel_open(64 * 1024, b_host);
  REQUIRE(b.state() == PeerLink::State::kDirect);
  // A gave up the attempt before its own channel opened.
  FakeHost a_host;
  PeerLink a = racing_a(a_host);
  run(a, a_host, kRaceRelayAfterMs + 2 * kStepMs, kDirectTimeoutMs);
  REQUIRE(a.state() == PeerLink::State::kRelayed);
  b.on_signal(protocol::peer::Relay{}, 0, b_host);
  CHECK(b.state() == PeerLink::State::kRelayed);
  CHECK(b.transport() == Transport::kServer);
  REQUIRE(b_host.last_signal<protocol::peer::Relay>());  // B dropped A's relayed frames meanwhile
  const int opened = a_host.opened;
  a.on_signal(protocol::peer::Relay{}, 0, a_host);
  CHECK(a.state() == PeerLink::State::kRelayed);
  CHECK(a_host.opened == opened + 1);  // A's transfers reconnect: they resume from B's HAVE
  CHECK(a_host.closed == 1);
}

TEST_CASE("ICE failing before the first channel, with no relay, fails the link") {
  FakeHost host;
  PeerLink a(/*creator=*/true);
  a.start_attempt(0, host);
  a.on_peer_state("failed", 100, host);
  CHECK(a.state() == PeerLink::State::kIceFailed);
  run(a, host, 250, 500);
  REQUIRE(host.failed);
  CHECK(host.failed->code == "connect_failed");
}

TEST_CASE("an attempt that times out after an earlier channel is tried again, not given up") {
  FakeHost host;
  PeerLink a = connected_a(host);
  a.on_channel_closed(host);
  CHECK(host.closed == 1);
  double t = run(a, host, 0, kMinAttemptGapMs + kStepMs);
  CHECK(host.count<cmd::CreatePeer>() == 2);  // the second attempt
  a.on_peer_state("failed", t, host);
  t = run(a, host, t, kDirectTimeoutMs + kStepMs);
  CHECK_FALSE(host.failed);
  CHECK(host.count<cmd::CreatePeer>() == 3);
}

TEST_CASE("a closed channel: A connects again, but no sooner than kMinAttemptGapMs after the last") {
  FakeHost host;
  PeerLink a = connected_a(host);
  a.on_channel_closed(host);
  CHECK(a.state() == PeerLink::State::kIdle);
  double t = run(a, host, 0, kMinAttemptGapMs - kStepMs);
  CHECK(host.count<cmd::CreatePeer>() == 1);
  run(a, host, t, 2 * kStepMs);
  CHECK(host.count<cmd::CreatePeer>() == 2);
  CHECK(a.peer_gen() == 2);
}

TEST_CASE("ICE going bad on a live channel: restarts on the same peer, then a fresh peer") {
  FakeHost host;
  PeerLink a = connected_a(host);
  a.on_peer_state("disconnected", 1000, host);
  CHECK(a.state() == PeerLink::State::kInterrupted);
  double t = run(a, host, 1000, kIceRestartAfterMs);
  CHECK(host.ice_restarts() == 0);
  t = run(a, host, t, 2 * kStepMs);
  CHECK(host.ice_restarts() == 1);
  a.on_local_description(R"({"type":"offer","sdp":"v=0"})", host);
  CHECK_FALSE(host.last_signal<protocol::peer::Offer>()->fresh);
  // The answer came, but ICE stays bad: at most one restart per kIceRestartEveryMs.
  a.on_signal(protocol::peer::Answer{"v=0", a.peer_gen()}, t, host);
  t = run(a, host, t, kIceRestartEveryMs - 2 * kStepMs);
  CHECK(host.ice_restarts() == 1);
  t = run(a, host, t, 4 * kStepMs);
  CHECK(host.ice_restarts() == 2);
  // No recovery in kFreshPeerAfterMs: a new RTCPeerConnection, whose data path is a new one.
  run(a, host, t, 1000 + kFreshPeerAfterMs - (t - 1000));
  CHECK(host.count<cmd::CreatePeer>() == 2);
  CHECK(a.state() == PeerLink::State::kConnecting);
  CHECK(host.closed == 1);
}

TEST_CASE("one ICE restart at a time: the next waits for the answer to the first") {
  FakeHost host;
  PeerLink a = connected_a(host);
  a.on_signal(protocol::peer::Restart{}, 0, host);  // B's network changed
  a.on_signal(protocol::peer::Restart{}, 10000, host);
  CHECK(host.ice_restarts() == 1);
  CHECK(a.restart_pending());
  a.on_signal(protocol::peer::Answer{"v=0", a.peer_gen()}, 10000, host);
  a.on_signal(protocol::peer::Restart{}, 20000, host);
  CHECK(host.ice_restarts() == 2);
}

TEST_CASE("ICE recovering on its own cancels the restarts") {
  FakeHost host;
  PeerLink a = connected_a(host);
  a.on_peer_state("disconnected", 0, host);
  a.on_peer_state("connected", 1000, host);
  CHECK(a.state() == PeerLink::State::kDirect);
  CHECK(host.count<cmd::QueryPath>() == 1);
  run(a, host, 1000, kFreshPeerAfterMs * 2);
  CHECK(host.ice_restarts() == 0);
  CHECK(host.count<cmd::CreatePeer>() == 1);
}

TEST_CASE("a dead path with the other device gone from the server closes, on either side") {
  FakeHost host;
  PeerLink b(/*creator=*/false);
  b.on_signal(protocol::peer::Offer{"v=0", 1, true}, 0, host);
  b.on_channel_open(64 * 1024, host);
  host.present = false;
  host.signalling = false;
  b.on_peer_state("disconnected", 0, host);
  run(b, host, 0, kIceRestartAfterMs);
  CHECK(b.open());
  run(b, host, kIceRestartAfterMs, 2 * kStepMs);
  CHECK_FALSE(b.open());
  CHECK(host.closed == 1);
  CHECK(b.path() == PathKind::kNone);
}

TEST_CASE("B answers a fresh offer from a new peer and an ICE restart from the one it has") {
  FakeHost host;
  PeerLink b(/*creator=*/false);
  b.on_signal(protocol::peer::Offer{"v=0", 3, true}, 0, host);
  CHECK(host.count<cmd::ClosePeer>() == 1);
  CHECK(host.count<cmd::CreatePeer>() == 1);
  CHECK_FALSE(std::get<cmd::CreatePeer>(host.commands[1]).offerer);
  b.on_local_description(R"({"type":"answer","sdp":"v=0"})", host);
  CHECK(host.last_signal<protocol::peer::Answer>()->gen == 3);
  b.on_channel_open(64 * 1024, host);
  b.on_signal(protocol::peer::Offer{"v=0", 3, false}, 0, host);  // an ICE restart
  CHECK(host.count<cmd::ClosePeer>() == 1);
  CHECK(b.open());
  // Offers of older attempts, and restarts of a connection B no longer has, are ignored.
  const size_t before = host.commands.size();
  b.on_signal(protocol::peer::Offer{"v=0", 2, true}, 0, host);
  b.on_signal(protocol::peer::Offer{"v=0", 2, false}, 0, host);
  CHECK(host.commands.size() == before);
  // A newer fresh offer replaces the connection, and its data path.
  b.on_signal(protocol::peer::Offer{"v=0", 4, true}, 0, host);
  CHECK(host.closed == 1);
  CHECK(b.state() == PeerLink::State::kConnecting);
}

TEST_CASE("B follows a relay request only when the server offers a relay; A never does") {
  FakeHost host;
  PeerLink b(/*creator=*/false);
  b.on_signal(protocol::peer::Relay{}, 0, host);
  CHECK_FALSE(b.open());
  b.set_server_offer("[]", 1 << 20);
  b.on_signal(protocol::peer::Relay{}, 0, host);
  CHECK(b.state() == PeerLink::State::kRelayed);
  // B was not taking frames from the relay: it asks A to resume from its HAVE.
  CHECK(host.last_signal<protocol::peer::Relay>());
  FakeHost a_host;
  PeerLink a(/*creator=*/true);
  a.set_server_offer("[]", 1 << 20);
  a.on_signal(protocol::peer::Relay{}, 0, a_host);
  a.on_signal(protocol::peer::Offer{"v=0", 1, true}, 0, a_host);
  CHECK_FALSE(a.open());
  CHECK(a_host.commands.empty());
}

TEST_CASE("losing the server drops a relayed path, and only a relayed one") {
  FakeHost host;
  PeerLink direct = connected_a(host);
  direct.on_relay_lost(host);
  CHECK(direct.open());
  PeerLink b(/*creator=*/false);
  b.set_server_offer("[]", 1 << 20);
  b.on_signal(protocol::peer::Relay{}, 0, host);
  b.on_relay_lost(host);
  CHECK(b.state() == PeerLink::State::kIdle);
  CHECK(host.closed == 1);
}

TEST_CASE("the path the browser reports becomes a PathKind with the words the UI shows") {
  FakeHost host;
  PeerLink a = connected_a(host);
  CHECK(a.path() == PathKind::kNone);
  a.on_path("srflx", host);
  CHECK(a.path() == PathKind::kDirectNat);
  CHECK(std::string(to_string(a.path())) == "direct through NAT");
  a.on_path("srflx", host);
  CHECK(host.path_changes == 1);
  a.on_path("relay", host);
  CHECK(std::string(to_string(a.path())) == "relayed by TURN");
  a.on_path("host", host);
  CHECK(std::string(to_string(a.path())) == "direct");
  CHECK(std::string(to_string(PathKind::kServer)) == "relayed by server");
  CHECK(std::string(to_string(PathKind::kNone)).empty());
}

TEST_CASE("after a network change, once rejoined, A restarts ICE and B asks A to") {
  FakeHost a_host;
  PeerLink a = connected_a(a_host);
  a.want_restart(true);
  a.on_rejoined(0, a_host);
  CHECK(a_host.ice_restarts() == 1);
  a.on_rejoined(0, a_host);  // once
  CHECK(a_host.ice_restarts() == 1);

  FakeHost b_host;
  PeerLink b(/*creator=*/false);
  b.on_signal(protocol::peer::Offer{"v=0", 1, true}, 0, b_host);
  b.on_channel_open(64 * 1024, b_host);
  b.want_restart(true);
  b.on_rejoined(0, b_host);
  CHECK(b_host.last_signal<protocol::peer::Restart>());
  CHECK(b_host.ice_restarts() == 0);
}
