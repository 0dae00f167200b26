// SecureChannel on its own: two channels wired back to back, no session around them.
#include "app/secure_channel.h"

#include <catch2/catch.hpp>

#include "session_world.h"

using namespace ferry_test;
using State = SecureChannel::State;
using Event = SecureChannel::Event;

namespace {

struct Pair {
  session::RoomId room = session::RoomId::generate(counter_rng(3));
  session::LinkSecret secret = session::LinkSecret::generate(counter_rng(4));
  session::ShortCode code = session::ShortCode::generate(7, counter_rng(5));
  SecureChannel a = SecureChannel::creator(room, secret, code, counter_rng(6));
  std::vector<protocol::ClientMessage> reports;  // what A told the server

  SecureChannel joiner_by_code(std::string_view words) {
    return SecureChannel::joiner(room, JoinMethod::kCode, Bytes(words.begin(), words.end()), counter_rng(8));
  }
  SecureChannel joiner_by_link() {
    return SecureChannel::joiner(room, JoinMethod::kLink, session::password_from_link_secret(secret), counter_rng(9));
  }

  // Runs B's handshake against A until nothing moves; returns A's last event.
  Event run(SecureChannel& b, double now = 0) {
    Event last = Event::kNone;
    for (int round = 0; round < 10; ++round) {
      bool moved = false;
      for (auto& o : b.take_outgoing()) {
        moved = true;
        if (!o.relay) continue;
        last = *o.relay == RelayKind::kHello ? a.on_hello(o.body, now) : a.on_handshake(o.body, now);
      }
      for (auto& o : a.take_outgoing()) {
        moved = true;
        if (o.server) reports.push_back(*o.server);
        if (o.relay) (void)b.on_handshake(o.body, now);
      }
      if (!moved) break;
    }
    return last;
  }
  void take_reports_from_a() {
    for (auto& o : a.take_outgoing()) {
      if (o.server) reports.push_back(*o.server);
    }
  }
  int count(const protocol::ClientMessage& m) const {
    return static_cast<int>(std::count(reports.begin(), reports.end(), m));
  }
};

}  // namespace

TEST_CASE("a secure channel confirms by link and by code and reports the confirmation") {
  Pair p;
  auto b = p.joiner_by_link();
  b.start(0);
  CHECK(p.run(b) == Event::kConfirmed);
  CHECK(p.a.state() == State::kSecured);
  CHECK(b.state() == State::kSecured);
  CHECK(p.a.sas_words() == b.sas_words());
  CHECK(p.a.confirmed_method() == JoinMethod::kLink);
  CHECK(p.count(protocol::PakeConfirmed{}) == 1);

  Pair q;
  auto c = q.joiner_by_code(q.code.password());
  c.start(0);
  CHECK(q.run(c) == Event::kConfirmed);
  CHECK(q.a.confirmed_method() == JoinMethod::kCode);
}

TEST_CASE("the creator's code budget: three failures kill the code, a new code revives it") {
  Pair p;
  for (int i = 1; i <= kMaxCodeFailures; ++i) {
    auto b = p.joiner_by_code("wrong-words");
    b.start(0);
    const Event e = p.run(b);
    CHECK(e == (i < kMaxCodeFailures ? Event::kAttemptFailed : Event::kCodeDied));
    CHECK(b.state() == State::kFailed);
    CHECK(p.a.code_failures() == i);
  }
  CHECK(p.a.code_dead());
  CHECK(p.count(protocol::PakeFailed{}) == kMaxCodeFailures);
  // The right code now gets no share either: the code is dead, not just guessed at.
  auto right = p.joiner_by_code(p.code.password());
  right.start(0);
  CHECK(p.run(right) == Event::kAttemptFailed);
  CHECK(right.state() == State::kHandshaking);  // it heard nothing
  CHECK(p.count(protocol::RejectPeer{}) == 1);
  // The link still works.
  auto link = p.joiner_by_link();
  link.start(0);
  CHECK(p.run(link) == Event::kConfirmed);

  Pair q;
  for (int i = 0; i < kMaxCodeFailures; ++i) {
    auto b = q.joiner_by_code("wrong-words");
    b.start(0);
    q.run(b);
  }
  REQUIRE(q.a.code_dead());
  const auto fresh = session::ShortCode::generate(8, counter_rng(10));
  q.a.set_code(fresh);
  CHECK_FALSE(q.a.code_dead());
  auto b = q.joiner_by_code(fresh.password());
  b.start(0);
  CHECK(q.run(b) == Event::kConfirmed);
}

TEST_CASE("a link failure does not spend the code's budget") {
  Pair p;
  auto b = SecureChannel::joiner(p.room, JoinMethod::kLink, Bytes(16, 0x42), counter_rng(11));
  b.start(0);
  CHECK(p.run(b) == Event::kAttemptFailed);
  CHECK(p.a.code_failures() == 0);
  CHECK(p.count(protocol::PakeFailed{}) == 1);
}

TEST_CASE("a new handshake runs beside the live keys and replaces them only once it confirms") {
  Pair p;
  auto b = p.joiner_by_link();
  b.start(0);
  REQUIRE(p.run(b) == Event::kConfirmed);
  const std::string words = p.a.sas_words();
  // A second B (a reload) with the same link: rekeying, then new keys.
  auto b2 = p.joiner_by_link();
  b2.start(0);
  for (auto& o : b2.take_outgoing()) (void)p.a.on_hello(o.body, 0);
  CHECK(p.a.state() == State::kRekeying);
  CHECK(p.a.sas_words() == words);  // still the live keys
  CHECK(p.a.secured());
  for (auto& o : p.a.take_outgoing()) {
    if (o.relay) (void)b2.on_handshake(o.body, 0);
  }
  Event e = Event::kNone;
  for (auto& o : b2.take_outgoing()) e = p.a.on_handshake(o.body, 0);
  CHECK(e == Event::kRekeyed);
  CHECK(p.a.sas_words() != words);
  CHECK(p.a.sas_changed());
}

TEST_CASE("a forged hello beside live keys times out and leaves them in place") {
  Pair p;
  auto b = p.joiner_by_link();
  b.start(0);
  REQUIRE(p.run(b) == Event::kConfirmed);
  const std::string words = p.a.sas_words();
  Bytes hello(session::kHelloBytes, 5);
  hello[0] = static_cast<uint8_t>(JoinMethod::kLink);
  CHECK(p.a.on_hello(hello, 1000) == Event::kNone);
  CHECK(p.a.rekeying());
  CHECK(p.a.tick(1000 + kHandshakeTimeoutMs / 2) == Event::kNone);
  CHECK(p.a.tick(1000 + kHandshakeTimeoutMs + 1) == Event::kAttemptFailed);
  CHECK(p.a.state() == State::kSecured);
  CHECK(p.a.sas_words() == words);
  CHECK_FALSE(p.a.sas_changed());
}

TEST_CASE("a joiner's handshake times out; a creator's frees the seat without counting") {
  Pair p;
  auto b = p.joiner_by_link();
  b.start(0);
  CHECK(b.tick(kHandshakeTimeoutMs + 1) == Event::kFailed);
  CHECK(b.error().code == "handshake_timeout");
  for (auto& o : b.take_outgoing()) (void)p.a.on_hello(o.body, 0);
  CHECK(p.a.state() == State::kHandshaking);
  CHECK(p.a.tick(kHandshakeTimeoutMs + 1) == Event::kAttemptFailed);
  CHECK(p.a.state() == State::kNoPeer);
  p.take_reports_from_a();
  CHECK(p.count(protocol::RejectPeer{}) == 1);
  CHECK(p.count(protocol::PakeFailed{}) == 0);
}

TEST_CASE("a password room confirms only its password, and three wrong ones kill it") {
  Pair p;
  const std::string password = "correct horse";
  p.a = SecureChannel::password_room(p.room, session::password_from_room_password(password), counter_rng(12));
  auto joiner = [&](std::string_view typed) {
    return SecureChannel::joiner(p.room, JoinMethod::kPassword, session::password_from_room_password(typed),
                                 counter_rng(13));
  };
  // A link or a code attempt is refused without CPace: the room has neither secret.
  auto by_link = p.joiner_by_link();
  by_link.start(0);
  CHECK(p.run(by_link) == Event::kAttemptFailed);
  CHECK(by_link.state() == State::kHandshaking);  // it heard no share
  auto by_code = p.joiner_by_code(p.code.password());
  by_code.start(0);
  CHECK(p.run(by_code) == Event::kAttemptFailed);
  CHECK(p.a.code_failures() == 0);
  // Wrong passwords are counted; the joiner learns it was wrong.
  for (int i = 1; i <= kMaxCodeFailures; ++i) {
    auto b = joiner(i == 1 ? "correct horse " : "Correct horse");
    b.start(0);
    CHECK(p.run(b) == (i < kMaxCodeFailures ? Event::kAttemptFailed : Event::kCodeDied));
    CHECK(b.state() == State::kFailed);
    CHECK(b.error().code == "wrong_password");
    CHECK(b.error().message.find("Wrong password") != std::string::npos);
  }
  CHECK(p.a.code_dead());
  // Dead: the right password gets no share any more.
  auto late = joiner(password);
  late.start(0);
  CHECK(p.run(late) == Event::kAttemptFailed);
  CHECK(late.state() == State::kHandshaking);

  Pair q;
  q.a = SecureChannel::password_room(q.room, session::password_from_room_password(password), counter_rng(14));
  auto right = SecureChannel::joiner(q.room, JoinMethod::kPassword, session::password_from_room_password(password),
                                     counter_rng(15));
  right.start(0);
  CHECK(q.run(right) == Event::kConfirmed);
  CHECK(q.a.confirmed_method() == JoinMethod::kPassword);
}

TEST_CASE("a room without a password refuses a password attempt without guessing") {
  Pair p;
  auto b = SecureChannel::joiner(p.room, JoinMethod::kPassword, session::password_from_room_password("x"),
                                 counter_rng(16));
  b.start(0);
  CHECK(p.run(b) == Event::kAttemptFailed);
  CHECK(b.state() == State::kHandshaking);
  CHECK(p.a.code_failures() == 0);
  CHECK(p.count(protocol::PakeFailed{}) == 0);
}
