// Tests for app::Signalling: the server connection's states, back-off, rejoin and giving up,
// driven by hand (the two-peer simulation in session_test.cpp covers it inside a Session).
#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

#include "app/signalling.h"
#include "protocol/signal.h"

using namespace ferry;
using namespace ferry::app;

namespace {

struct Sink : CommandSink {
  std::vector<Command> commands;
  void emit(Command c) override { commands.push_back(std::move(c)); }
  template <class T>
  int count() const {
    int n = 0;
    for (const auto& c : commands) n += std::holds_alternative<T>(c);
    return n;
  }
  // The messages sent to the server, parsed.
  std::vector<protocol::ClientMessage> sent() const {
    std::vector<protocol::ClientMessage> out;
    for (const auto& c : commands) {
      if (const auto* s = std::get_if<cmd::SendServer>(&c)) out.push_back(protocol::parse_client_message(s->text).value());
    }
    return out;
  }
};

const std::string kRoom = "abcdefghijklmnopqrst";
const std::string kResume = "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR";

// A signalling connection that is open and holds a seat.
Signalling seated(Sink& out) {
  Signalling s;
  s.start(protocol::Create{}, out);
  s.on_open(out);
  s.set_seat(kRoom, kResume);
  return s;
}

// One that held a seat and has just dropped at time `at`.
Signalling dropped_at(double at, Sink& out) {
  Signalling s = seated(out);
  REQUIRE(s.on_closed(1006, at) == Signalling::Event::kReconnecting);
  return s;
}

// Runs the clock in 50 ms steps until the socket is asked to open again; returns when.
double next_open(Signalling& s, double from, Sink& out, bool data_flows = false) {
  const int opens = out.count<cmd::OpenServer>();
  for (double t = from; t < from + 200000; t += 50) {
    if (s.tick(t, data_flows, out) == Signalling::Event::kLost) return -1;
    if (out.count<cmd::OpenServer>() > opens) return t;
  }
  return -2;
}

}  // namespace

TEST_CASE("signalling opens the socket and sends the first message only once it is open") {
  Sink out;
  Signalling s;
  s.start(protocol::Create{}, out);
  CHECK(s.state() == Signalling::State::kOpening);
  CHECK(out.count<cmd::OpenServer>() == 1);
  CHECK(out.sent().empty());
  s.on_open(out);
  CHECK(s.open());
  REQUIRE(out.sent().size() == 1);
  CHECK(std::holds_alternative<protocol::Create>(out.sent()[0]));
}

TEST_CASE("signalling backs off 1 s, 2 s, 4 s, 8 s, then 8 s between reconnects") {
  Sink out;
  Signalling s = dropped_at(0, out);
  CHECK(s.state() == Signalling::State::kBackingOff);
  double t = 0;
  std::vector<double> gaps;
  for (int i = 0; i < 6; ++i) {
    const double opened = next_open(s, t, out);
    REQUIRE(opened >= 0);
    gaps.push_back(opened - t);
    CHECK(s.state() == Signalling::State::kOpening);
    t = opened;
    REQUIRE(s.on_closed(1006, t) == Signalling::Event::kReconnecting);  // still no server
  }
  CHECK(gaps == std::vector<double>{1000, 2000, 4000, 8000, 8000, 8000});
}

TEST_CASE("a reopened socket rejoins with the latest resume token, and the back-off starts again") {
  Sink out;
  Signalling s = dropped_at(0, out);
  s.set_seat(kRoom, "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS");  // the token changes on every join
  const double opened = next_open(s, 0, out);
  REQUIRE(opened == 1000);
  s.on_open(out);
  const auto sent = out.sent();
  const auto* rejoin = std::get_if<protocol::Rejoin>(&sent.back());
  REQUIRE(rejoin);
  CHECK(rejoin->room == kRoom);
  CHECK(rejoin->resume == "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS");
  CHECK(s.failures() == 0);
  REQUIRE(s.on_closed(1006, 50000) == Signalling::Event::kReconnecting);
  CHECK(s.retry_at_ms() == 51000);  // 1 s again, not 2 s
}

TEST_CASE("signalling gives up after kServerGiveUpMs without the server unless data flows") {
  Sink lost_out;
  Signalling lost = dropped_at(0, lost_out);
  double t = 0;
  for (;;) {
    const double opened = next_open(lost, t, lost_out);
    if (opened < 0) break;
    t = opened;
    REQUIRE(lost.on_closed(1006, t) == Signalling::Event::kReconnecting);
  }
  CHECK(lost.state() == Signalling::State::kGivenUp);
  CHECK(t > kServerGiveUpMs - kServerRetryMaxMs);
  CHECK(t <= kServerGiveUpMs);

  // A direct channel still carries data: keep trying for as long as it does.
  Sink out;
  Signalling flowing = dropped_at(0, out);
  t = 0;
  while (t < 3 * kServerGiveUpMs) {
    const double opened = next_open(flowing, t, out, /*data_flows=*/true);
    REQUIRE(opened >= 0);
    t = opened;
    REQUIRE(flowing.on_closed(1006, t) == Signalling::Event::kReconnecting);
  }
  CHECK(flowing.state() == Signalling::State::kBackingOff);
}

TEST_CASE("a close with the server's reason ends signalling for good") {
  Sink out;
  Signalling s = seated(out);
  CHECK(s.on_closed(4000, 0) == Signalling::Event::kEnded);  // the server restarts
  CHECK(s.state() == Signalling::State::kGivenUp);
  CHECK(next_open(s, 0, out) == -2);       // nothing reopens it
  CHECK_FALSE(s.reconnect_now(out));       // not even a network change
  CHECK(close_code_words(4000).find("restarting") != std::string::npos);
  CHECK(close_code_words(1006).empty());   // a drop has no words: it is worth a reconnect
}

TEST_CASE("a drained server's close 4013 moved reconnects and rejoins with the resume token") {
  // ferry-server --drain-grace (docs/protocol.md): the instance goes away, the seat lives on
  // where the load balancer sends the reconnect.
  Sink out;
  Signalling s = seated(out);
  CHECK(close_code_words(4013).empty());
  REQUIRE(s.on_closed(4013, 0) == Signalling::Event::kReconnecting);
  REQUIRE(next_open(s, 0, out) == 1000);
  s.on_open(out);
  const auto sent = out.sent();
  const auto* rejoin = std::get_if<protocol::Rejoin>(&sent.back());
  REQUIRE(rejoin);
  CHECK(rejoin->resume == kResume);
}

TEST_CASE("the JWT refusals end signalling with words that send the user back to the embedding site") {
  for (int code : {4014, 4015, 4016}) {
    Sink out;
    Signalling s = seated(out);
    CHECK(s.on_closed(code, 0) == Signalling::Event::kEnded);  // a retry would send the same token
    CHECK(close_code_words(code).find("site") != std::string::npos);
  }
}

TEST_CASE("a close before there is a seat to take back reports that, and does not retry") {
  Sink out;
  Signalling s;
  s.start(protocol::JoinByToken{kRoom, "t"}, out);
  CHECK(s.on_closed(1006, 0) == Signalling::Event::kNoSeat);
  CHECK(s.state() == Signalling::State::kIdle);
  CHECK(next_open(s, 0, out) == -2);
}

TEST_CASE("a refused seat is final: the next close ends, and a network change does not reopen") {
  Sink out;
  Signalling s = seated(out);
  s.seat_refused();
  CHECK(s.state() == Signalling::State::kGivenUp);
  CHECK_FALSE(s.reconnect_now(out));
  CHECK(s.on_closed(1006, 0) == Signalling::Event::kEnded);
  CHECK(out.count<cmd::OpenServer>() == 1);
}

TEST_CASE("a network change replaces the socket at once: close, then open, then rejoin") {
  Sink out;
  Signalling s;
  REQUIRE_FALSE(s.reconnect_now(out));  // nothing to reconnect yet
  s.start(protocol::Create{}, out);
  s.on_open(out);
  REQUIRE_FALSE(s.reconnect_now(out));  // open, but no seat yet
  out.commands.clear();
  s.set_seat(kRoom, kResume);
  REQUIRE(s.reconnect_now(out));
  REQUIRE(out.commands.size() == 2);
  CHECK(std::holds_alternative<cmd::CloseServer>(out.commands[0]));
  CHECK(std::holds_alternative<cmd::OpenServer>(out.commands[1]));
  CHECK(s.state() == Signalling::State::kOpening);
  s.on_open(out);
  CHECK(std::holds_alternative<protocol::Rejoin>(out.sent().back()));
}

TEST_CASE("closing the session closes the socket and cancels a planned reconnect") {
  Sink out;
  Signalling s = dropped_at(0, out);
  REQUIRE(s.retry_at_ms() == 1000);
  s.close(out);
  CHECK(s.state() == Signalling::State::kIdle);
  CHECK(out.count<cmd::CloseServer>() == 1);
  CHECK(next_open(s, 0, out) == -2);
}
