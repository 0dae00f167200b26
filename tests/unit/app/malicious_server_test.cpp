// The session against a hostile server and a link holder: the relay injects, drops, replays and
// reorders relay messages, swallows pake_failed, and a guesser sits in the joiner's seat. Each
// test is one security invariant of docs/security.md.
#include "protocol/frame.h"
#include "session/handshake.h"
#include "session_world.h"

using namespace ferry_test;

namespace {

// Someone in the joiner's seat (or the server itself) guessing the code: it says HELLO{code},
// answers A's share with a share of its own guess, and returns whether A answered at all.
bool guess_code(World& w, std::string_view guess_words) {
  const size_t before = w.relayed_to_b.size();
  auto room = session::RoomId::parse(w.room);
  REQUIRE(room.ok());
  auto hs = session::Handshake::start_joiner(*room, session::JoinMethod::kCode,
                                             as_bytes(guess_words), counter_rng(200));
  REQUIRE(hs.ok());
  w.inject(w.a, RelayKind::kHello, hs->hello());
  std::optional<Bytes> share_a;
  for (size_t i = before; i < w.relayed_to_b.size(); ++i) {
    auto [kind, body] = decode_relay(w.relayed_to_b[i]);
    if (kind == RelayKind::kHandshake) share_a = body;
  }
  if (!share_a) return false;
  REQUIRE(hs->receive(*share_a).ok());
  auto share_b = hs->take_outgoing();
  REQUIRE(share_b);
  w.inject(w.a, RelayKind::kHandshake, *share_b);
  return true;
}

// A's words, and other words of the same list that are certainly wrong.
std::string wrong_words(const std::string& code) {
  return code.find("orbit") != std::string::npos ? "velvet-velvet" : "orbit-orbit";
}

// The creator with a room and no joiner, seen by the test's B seat (b never joins: the
// attacker injects as the joiner would).
void create(World& w) {
  w.a.session.create();
  w.run();
  REQUIRE(w.a.session.snapshot().phase == Phase::kWaitingForPeer);
  // Someone sits in the joiner's seat.
  w.a.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerJoined{}}));
  w.run();
}

}  // namespace

TEST_CASE("a server that swallows pake_failed gets 3 code guesses, then no answer at all") {
  World w;
  w.lift_budget = true;
  create(w);
  const std::string code = w.a.session.snapshot().short_code;
  int answered = 0;
  for (int i = 0; i < 10; ++i) answered += guess_code(w, wrong_words(code));
  CHECK(answered == kMaxCodeFailures);
  CHECK(w.pake_failures == kMaxCodeFailures);  // reported every time, ignored by this server
  CHECK(w.rejects == 10 - kMaxCodeFailures);   // later attempts get reject_peer, no share
  const Snapshot s = w.a.session.snapshot();
  CHECK(s.code_dead);
  CHECK(s.status.find("no longer works") != std::string::npos);
  CHECK(has_log(w.a.session, "Refused an attempt with the code"));
}

TEST_CASE("after the code died the link still connects and a file arrives") {
  World w;
  create(w);
  const std::string code = w.a.session.snapshot().short_code;
  for (int i = 0; i < 5; ++i) guess_code(w, wrong_words(code));
  REQUIRE(w.a.session.snapshot().code_dead);
  const Status joined = w.b.session.join_link(w.a.session.snapshot().link);
  INFO((joined.ok() ? std::string() : joined.error().message));
  REQUIRE(joined.ok());
  w.run();
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
  const Bytes file = w.send_from_a("after.bin", 300'000, 41);
  w.run();
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
}

TEST_CASE("a new code has new words and a fresh budget, and the right one joins") {
  World w;
  create(w);
  const std::string old_code = w.a.session.snapshot().short_code;
  for (int i = 0; i < kMaxCodeFailures; ++i) REQUIRE(guess_code(w, wrong_words(old_code)));
  REQUIRE(w.a.session.snapshot().code_dead);
  w.a.session.new_code();
  w.run();
  const Snapshot s = w.a.session.snapshot();
  CHECK_FALSE(s.code_dead);
  REQUIRE(s.short_code != old_code);
  CHECK(s.short_code.rfind("8-", 0) == 0);
  // The guessed seat is gone; the real joiner types the new code.
  w.a.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerLeft{}}));
  REQUIRE(w.b.session.join_code(s.short_code).ok());
  w.run();
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
}

TEST_CASE("a malformed share counts as a failed attempt") {
  World w;
  w.lift_budget = true;
  create(w);
  int answered = 0;
  for (int i = 0; i < 6; ++i) {
    const size_t before = w.relayed_to_b.size();
    Bytes hello(session::kHelloBytes, static_cast<uint8_t>(i));
    hello[0] = static_cast<uint8_t>(session::JoinMethod::kCode);
    w.inject(w.a, RelayKind::kHello, hello);
    answered += count_kind(w.relayed_to_b, RelayKind::kHandshake, before);
    Bytes bogus{session::kHandshakeVersion, 2};
    bogus.resize(session::kShareBMessageBytes, 0xff);  // not a canonical point
    w.inject(w.a, RelayKind::kHandshake, bogus);
  }
  CHECK(answered == kMaxCodeFailures);
  CHECK(w.a.session.snapshot().code_dead);
}

TEST_CASE("once a joiner confirmed by link, a code attempt is refused without a share") {
  World w;
  w.create_and_join_by_link();
  REQUIRE(w.a.session.snapshot().phase == Phase::kConnected);
  CHECK(w.pake_confirmed == 1);
  const size_t before = w.relayed_to_b.size();
  CHECK_FALSE(guess_code(w, "orbit-velvet"));
  CHECK(count_kind(w.relayed_to_b, RelayKind::kHandshake, before) == 0);
  CHECK(has_log(w.a.session, "Refused a code attempt: the other device joined by link"));
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
}

TEST_CASE("a HELLO forged mid-transfer keeps the live keys and the transfer completes") {
  World w;
  w.create_and_join_by_link();
  const std::string sas = w.a.session.snapshot().sas;
  const Bytes file = w.send_from_a("inject.bin", 3'000'000, 42);
  run_until_received(w, file.size() / 3);
  // The server injects a HELLO toward A (it has no password, so it can never finish).
  Bytes hello(session::kHelloBytes, 7);
  hello[0] = static_cast<uint8_t>(session::JoinMethod::kLink);
  const size_t relayed_before = w.relayed_to_b.size();
  const uint64_t sent_before = w.a.frame_bytes_sent;
  w.inject(w.a, RelayKind::kHello, hello);
  Snapshot s = w.a.session.snapshot();
  CHECK(s.rekeying);
  CHECK(s.phase == Phase::kConnected);  // the channel and keys are untouched
  CHECK(s.sas == sas);
  // Only A's share went out (to whoever holds the seat): no manifest, no data frame resent.
  CHECK(count_kind(w.relayed_to_b, RelayKind::kHandshake, relayed_before) == 1);
  CHECK(w.a.frame_bytes_sent - sent_before < 32 * 64 * 1024);  // what was already in flight
  const uint64_t paused_at = w.a.frame_bytes_sent;
  w.advance(5000);
  CHECK(w.a.frame_bytes_sent == paused_at);  // sending waits while the new handshake runs
  // Sealed signalling under the live keys still works while the new handshake waits.
  w.b.session.on_network_change(true);
  w.run();
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
  // The forged handshake never confirms; it times out and sending resumes under the same keys.
  w.advance(kHandshakeTimeoutMs + 1000);
  w.run();
  s = w.a.session.snapshot();
  CHECK_FALSE(s.rekeying);
  CHECK(s.sas == sas);
  CHECK_FALSE(s.sas_changed);
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
}

TEST_CASE("a HELLO with another method than the confirmed one is refused") {
  World w;
  w.create_and_join_by_link();
  Bytes hello(session::kHelloBytes, 3);
  hello[0] = static_cast<uint8_t>(session::JoinMethod::kCode);
  const size_t before = w.relayed_to_b.size();
  w.inject(w.a, RelayKind::kHello, hello);
  CHECK(count_kind(w.relayed_to_b, RelayKind::kHandshake, before) == 0);
  CHECK_FALSE(w.a.session.snapshot().rekeying);
}

TEST_CASE("forged frames create no incoming transfer, and a real one still arrives") {
  World w;
  w.create_and_join_by_link();
  // 64 forged frames toward B, as a server could inject on its data relay: chunks and controls
  // of 64 transfer ids B never saw a manifest for.
  for (uint32_t i = 0; i < 64; ++i) {
    Bytes junk = pseudo_random_file(200, static_cast<uint8_t>(i));
    protocol::Frame f = i % 2 ? protocol::Frame{protocol::ChunkFrame{1000 + i, 0, 0, false, junk}}
                              : protocol::Frame{protocol::ControlFrame{1000 + i, protocol::Origin::kSender, 1, junk}};
    w.b.session.on_channel_message(protocol::encode(f));
  }
  w.run();
  CHECK(w.b.session.snapshot().transfers.empty());
  CHECK(w.b.sinks.empty());
  const Bytes file = w.send_from_a("real.bin", 200'000, 43);
  w.run();
  CHECK(w.b.session.snapshot().transfers.size() == 1);
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
}

TEST_CASE("a joiner whose handshake gets no answer times out with a clear error") {
  World w;
  w.a.session.create();
  w.run();
  // The server drops everything A says to B.
  w.drop_relay = [&](Peer& to, const std::string&) { return &to == &w.b; };
  REQUIRE(w.b.session.join_link(w.a.session.snapshot().link).ok());
  w.run();
  CHECK(w.b.session.snapshot().phase == Phase::kSecuring);
  w.advance(kHandshakeTimeoutMs + 1000);
  check_failed(w.b.session, "handshake_timeout");
}

TEST_CASE("a creator whose handshake gets no answer frees the seat after the time-out") {
  World w;
  create(w);
  Bytes hello(session::kHelloBytes, 9);
  hello[0] = static_cast<uint8_t>(session::JoinMethod::kLink);
  w.inject(w.a, RelayKind::kHello, hello);
  CHECK(w.a.session.snapshot().phase == Phase::kSecuring);
  w.advance(kHandshakeTimeoutMs + 1000);
  CHECK(w.rejects == 1);
  CHECK(w.pake_failures == 0);  // nothing was guessed
  CHECK(w.a.session.snapshot().phase == Phase::kWaitingForPeer);
}

TEST_CASE("a replayed or reordered handshake message fails the attempt instead of confirming") {
  World w;
  w.a.session.create();
  w.run();
  // The server holds A's share, delivers A's later messages first, then replays.
  std::vector<std::string> held;
  w.drop_relay = [&](Peer& to, const std::string& p) {
    if (&to != &w.b || decode_relay(p).first != RelayKind::kHandshake) return false;
    held.push_back(p);
    return held.size() == 1;
  };
  REQUIRE(w.b.session.join_link(w.a.session.snapshot().link).ok());
  w.run();
  REQUIRE(held.size() == 1);
  w.drop_relay = nullptr;
  w.inject_payload(w.b, held[0]);
  w.run();
  REQUIRE(w.b.session.snapshot().phase == Phase::kConnected);
  // A replay of A's share after the fact changes nothing.
  w.inject_payload(w.b, held[0]);
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
}

TEST_CASE("a replayed sealed signalling message stops the session as tampering") {
  World w;
  w.create_and_join_by_link();
  std::string sealed;
  for (const auto& p : w.relayed_to_b) {
    if (decode_relay(p).first == RelayKind::kSealed) sealed = p;
  }
  REQUIRE_FALSE(sealed.empty());
  w.inject_payload(w.b, sealed);
  check_failed(w.b.session, "tampered");
}

TEST_CASE("the short code never reaches the activity log") {
  World w;
  const std::string code = w.create_and_join_by_code();
  REQUIRE(w.b.session.snapshot().phase == Phase::kConnected);
  const std::string words = code.substr(code.find('-') + 1);
  for (const Session* s : {&w.a.session, &w.b.session}) {
    for (const auto& l : s->log()) CHECK(l.text.find(words) == std::string::npos);
  }
}

TEST_CASE("a reload shows on both screens that the verification words changed") {
  World w;
  const std::string link = w.create_and_join_by_link();
  const std::string sas_before = w.b.session.snapshot().sas;
  const std::string resume = w.b.session.resume_token();
  w.reload(w.b, 78);
  w.b.session.set_previous_sas(sas_before);
  REQUIRE(w.b.session.join_link(link, resume).ok());
  w.run();
  const Snapshot sa = w.a.session.snapshot();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sa.phase == Phase::kConnected);
  CHECK(sb.phase == Phase::kConnected);
  CHECK(sa.sas == sb.sas);
  CHECK(sa.sas != sas_before);
  CHECK(sa.sas_changed);
  CHECK(sb.sas_changed);
  CHECK(has_log(w.a.session, "The verification words changed"));
}

TEST_CASE("transfer ids do not repeat when a sender's tab reloads") {
  World w;
  const std::string link = w.create_and_join_by_link();
  const Bytes first = pseudo_random_file(100'000, 44);
  w.b.files[1] = first;
  w.b.session.send_files({{"one.bin", first.size(), ""}}, {1});
  w.run();
  const std::string resume = w.b.session.resume_token();
  w.reload(w.b, 79);
  REQUIRE(w.b.session.join_link(link, resume).ok());
  w.run();
  const Bytes second = pseudo_random_file(100'000, 45);
  w.b.files[2] = second;
  w.b.session.send_files({{"two.bin", second.size(), ""}}, {2});
  w.run();
  const Snapshot sa = w.a.session.snapshot();
  REQUIRE(sa.transfers.size() == 2);
  CHECK(sa.transfers[0].id != sa.transfers[1].id);
  for (const auto& t : sa.transfers) CHECK(t.state == TransferState::kComplete);
}

TEST_CASE("a code the server hands out unasked is ignored: no fresh budget for the guesser") {
  World w;
  w.lift_budget = true;
  create(w);
  const std::string code = w.a.session.snapshot().short_code;
  for (int i = 0; i < kMaxCodeFailures; ++i) REQUIRE(guess_code(w, wrong_words(code)));
  REQUIRE(w.a.session.snapshot().code_dead);
  w.a.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::NewNameplate{"9"}}));
  w.run();
  CHECK(w.a.session.snapshot().code_dead);
  CHECK(w.a.session.snapshot().short_code == code);
  CHECK_FALSE(guess_code(w, wrong_words(code)));  // still no answer
  CHECK(has_log(w.a.session, "Ignored an unexpected code from the server"));
}
