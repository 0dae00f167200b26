// Tests for app::Session: two sessions talk through an in-process relay that behaves like
// ferry-server's rooms, and a loopback "DataChannel" (session_world.h). The real handshake,
// sealing, frames and transfer state machines run; only the browser and the network are
// simulated.
#include "session_world.h"

using namespace ferry_test;

TEST_CASE("a created session shows a link with the room, token and secret, and a short code") {
  World w;
  w.a.session.create();
  w.run();
  const Snapshot s = w.a.session.snapshot();
  CHECK(s.phase == Phase::kWaitingForPeer);
  CHECK(s.link.rfind("https://ferry.test/j/" + w.room + "?t=" + w.token + "#", 0) == 0);
  CHECK(s.short_code.rfind("7-", 0) == 0);
}

TEST_CASE("a room the server gave no short code works by link, and says so") {
  World w;
  w.nameplate = "";  // no code was free (RoomRegistry, or --redis after its retries)
  w.create_and_join_by_link();
  const Snapshot sa = w.a.session.snapshot();
  CHECK(sa.short_code.empty());
  CHECK(sa.phase == Phase::kConnected);
  CHECK(sa.sas == w.b.session.snapshot().sas);
}

TEST_CASE("joining by link secures the session and both sides show the same verification words") {
  World w;
  w.create_and_join_by_link();
  const Snapshot sa = w.a.session.snapshot();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sa.phase == Phase::kConnected);
  CHECK(sb.phase == Phase::kConnected);
  CHECK(!sa.sas.empty());
  CHECK(sa.sas == sb.sas);
}

TEST_CASE("joining by short code works and uses the words as the password") {
  World w;
  w.create_and_join_by_code();
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
}

TEST_CASE("a wrong short code fails with a clear message, no data channel, and is reported") {
  World w;
  w.a.session.create();
  w.run();
  const std::string code = w.a.session.snapshot().short_code;
  // Same nameplate, other words (chosen to differ from the real ones).
  const bool orbit_used = code.find("orbit") != std::string::npos;
  const std::string wrong = code.substr(0, code.find('-')) + (orbit_used ? "-velvet-velvet" : "-orbit-orbit");
  REQUIRE(wrong != code);
  REQUIRE(w.b.session.join_code(wrong).ok());
  w.run();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sb.phase == Phase::kFailed);
  REQUIRE(sb.error);
  CHECK(sb.error->code == "wrong_password");
  CHECK(sb.error->message.find("Wrong code") != std::string::npos);
  CHECK_FALSE(w.b.peer_created);
  CHECK_FALSE(w.a.peer_created);
  CHECK(w.pake_failures == 1);
  CHECK(w.a.session.snapshot().phase != Phase::kConnected);
}

TEST_CASE("a malformed link is refused before anything is sent") {
  World w;
  const Status st = w.b.session.join_link("https://ferry.test/j/short?t=x#y");
  CHECK_FALSE(st.ok());
  CHECK(w.b.session.take_commands().empty());
}

TEST_CASE("files go both ways in one session and arrive intact") {
  World w;
  const Bytes big = pseudo_random_file(1'000'000 + 123, 5);
  const Bytes empty;
  const Bytes back = pseudo_random_file(70'000, 6);
  w.a.files[11] = big;
  w.a.files[12] = empty;
  w.b.files[21] = back;
  // A picks files before anyone joins, as a user does.
  w.a.session.send_files({{"big.bin", big.size(), ""}, {"empty.txt", 0, ""}}, {11, 12});
  w.create_and_join_by_link();
  w.b.session.send_files({{"naïve 日本語 🚀.txt", back.size(), ""}}, {21});
  w.run();

  REQUIRE(w.b.sinks.count({w.b.rx, 0}));
  CHECK(w.b.sinks[{w.b.rx, 0}] == big);
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK(w.b.finished[{w.b.rx, 1}]);
  CHECK(w.b.sinks[{w.b.rx, 1}].empty());
  REQUIRE(w.a.sinks.count({w.a.rx, 0}));
  CHECK(w.a.sinks[{w.a.rx, 0}] == back);
  CHECK(w.a.finished[{w.a.rx, 0}]);

  const Snapshot sa = w.a.session.snapshot();
  REQUIRE(sa.transfers.size() == 2);
  for (const auto& t : sa.transfers) CHECK(t.state == TransferState::kComplete);
  CHECK(has_log(w.b.session, "All files received"));
}

TEST_CASE("a received file is stored under a key of room, transfer and file, starting empty") {
  World w;
  const Bytes one = pseudo_random_file(1000, 7);
  w.a.files[11] = one;
  w.a.files[12] = one;
  w.a.session.send_files({{"one.bin", one.size(), ""}, {"two.bin", one.size(), ""}}, {11, 12});
  w.create_and_join_by_link();
  w.run();
  // The same names after a reload: the browser's storage finds the partial file again.
  CHECK(w.b.sink_keys[{w.b.rx, 0}] == std::make_pair(w.room + "-" + std::to_string(w.b.rx) + "-0", false));
  CHECK(w.b.sink_keys[{w.b.rx, 1}] == std::make_pair(w.room + "-" + std::to_string(w.b.rx) + "-1", false));
}

TEST_CASE("a tampered sealed signalling message aborts the session with a clear error") {
  World w;
  w.a.session.create();
  w.run();
  const std::string link = w.a.session.snapshot().link;
  int sealed_seen = 0;
  w.tamper_relay = [&](std::string& payload) {
    auto bytes = from_base64url(payload);
    if (!bytes || bytes->empty() || (*bytes)[0] != static_cast<uint8_t>(RelayKind::kSealed)) return;
    if (++sealed_seen == 1) {
      bytes->back() ^= 0x01;  // flip one bit of the tag of the first sealed message (the offer)
      payload = to_base64url(*bytes);
    }
  };
  REQUIRE(w.b.session.join_link(link).ok());
  w.run();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sb.phase == Phase::kFailed);
  REQUIRE(sb.error);
  CHECK(sb.error->code == "tampered");
  CHECK_FALSE(w.b.channel_open);
}

TEST_CASE("a tampered chunk on the channel is never written, and the file does not complete") {
  World w;
  const Bytes file = w.send_from_a("f.bin", 300'000, 7);
  int chunks = 0;
  w.tamper_frame = [&](Bytes& f) {
    if (f.size() > 100 && f[1] == 1 && ++chunks == 2) f[f.size() - 1] ^= 0x80;
  };
  w.create_and_join_by_link();
  w.run();
  CHECK_FALSE(w.b.finished[{w.b.rx, 0}]);
  const Bytes& got = w.b.sinks[{w.b.rx, 0}];
  // Whatever was written matches the real file wherever it was written: never tampered bytes.
  size_t wrong = 0;
  for (size_t i = 0; i < got.size(); ++i) wrong += (got[i] != 0 && got[i] != file[i]) ? 1 : 0;
  CHECK(wrong == 0);
  CHECK(has_log(w.b.session, "Rejected a frame"));
}

TEST_CASE("a code whose number matches no session fails with words a person can act on") {
  World w;
  REQUIRE(w.b.session.join_code("8-orbit-velvet").ok());
  w.run();
  const Snapshot sb = w.b.session.snapshot();
  CHECK(sb.phase == Phase::kFailed);
  REQUIRE(sb.error);
  CHECK(sb.error->code == "no_such_nameplate");
  CHECK(sb.error->message.find("No session has this code") != std::string::npos);
}

TEST_CASE("a rate-limit close from the server is explained, not shown as a number") {
  World w;
  w.a.session.create();
  w.a.session.take_commands();  // the socket never opens
  w.a.session.on_server_closed(4004, "");
  const Snapshot sa = w.a.session.snapshot();
  CHECK(sa.phase == Phase::kFailed);
  REQUIRE(sa.error);
  CHECK(sa.error->message.find("Too many attempts") != std::string::npos);
}


TEST_CASE("without a direct path the sealed frames go through the server's relay") {
  World w;
  w.join_without_udp();
  CHECK(w.a.session.snapshot().phase == Phase::kConnectingPeer);
  w.advance(kDirectTimeoutMs + 1000);
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
  CHECK(w.a.session.snapshot().path == PathKind::kServer);
  CHECK(w.b.session.snapshot().path == PathKind::kServer);
  CHECK(w.a.session.snapshot().status.find("(no direct path)") != std::string::npos);
  CHECK(w.b.session.snapshot().status.find("(no direct path)") != std::string::npos);
  const Bytes file = w.send_from_a("r.bin", 300 * 1000, 31);
  w.run();
  for (auto& l : w.b.session.log()) UNSCOPED_INFO("B: " << l.text);
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
  // The server carried the whole file, and never a readable piece of it.
  CHECK(w.relayed.size() > file.size());
  for (size_t at = 0; at + 32 <= file.size(); at += 4999) {
    REQUIRE_FALSE(contains(w.relayed, ByteView(file).subspan(at, 32)));
  }
}

TEST_CASE("without a direct path the data moves through the relay after kRaceRelayAfterMs, not kDirectTimeoutMs") {
  World w;
  w.join_without_udp();
  const Bytes file = w.send_from_a("early.bin", 200 * 1000, 33);
  w.advance(kRaceRelayAfterMs - 500);
  CHECK(w.b.sinks.empty());
  CHECK(w.a.session.snapshot().phase == Phase::kConnectingPeer);
  w.advance(1000);
  for (Peer* p : {&w.a, &w.b}) {
    CHECK(p->session.snapshot().phase == Phase::kConnected);
    CHECK(p->session.snapshot().path == PathKind::kServer);
    CHECK(has_log(p->session, "Sending through the server while a direct connection is tried"));
    CHECK(p->session.snapshot().status.find("while a direct connection is tried") != std::string::npos);
    CHECK(p->peer_created);  // the direct attempt goes on
  }
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
}

namespace {

// A sends a file through the relay while the direct attempt goes on; returns its content, with
// B holding part of it.
Bytes racing_transfer(World& w, size_t size) {
  w.join_without_udp();
  w.advance(kRaceRelayAfterMs + 250);
  REQUIRE(w.a.session.transport() == Transport::kServer);
  REQUIRE(w.b.session.transport() == Transport::kServer);
  const Bytes file = w.send_from_a("switch.bin", size, 34);
  run_until_received(w, size / 3);
  REQUIRE_FALSE(w.b.finished[{w.b.rx, 0}]);
  return file;
}

}  // namespace

TEST_CASE("a DataChannel that opens during the race takes the transfer over, sending again only what was in flight") {
  World w;
  const Bytes file = racing_transfer(w, 3 * 1000 * 1000);
  const uint64_t relayed_chunks = w.a.chunk_bytes_sent;
  // Frames in flight on the relay when both channels open: they arrive after the switch.
  w.hold_relayed = true;
  for (int i = 0; i < 4; ++i) w.step(w.a);
  size_t held_chunk_bytes = 0;
  for (const auto& [to, f] : w.held) {
    if (protocol::peek_type(f) == protocol::FrameType::kChunk) held_chunk_bytes += f.size();
  }
  REQUIRE(held_chunk_bytes > 0);
  w.hold_relayed = false;
  w.open_channel();
  w.release_held();  // late frames of the old path: dropped, harmless
  w.run();
  for (Peer* p : {&w.a, &w.b}) {
    CHECK(p->session.transport() == Transport::kDirect);
    CHECK(has_log(p->session, "Switched to a direct connection"));
    CHECK_FALSE(has_log(p->session, "Rejected"));
    CHECK_FALSE(has_log(p->session, "failed"));
  }
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
  CHECK(relayed_chunks > 0);
  // Every chunk B had was sent once; what was in flight on the relay was sent again directly.
  const uint64_t per_chunk_overhead = kChunkFrameOverheadBytes;
  const uint64_t chunks = (file.size() + transfer::kDefaultChunkBytes - 1) / transfer::kDefaultChunkBytes;
  CHECK(w.a.chunk_bytes_sent <= file.size() + chunks * per_chunk_overhead + held_chunk_bytes);
  CHECK(w.a.chunk_bytes_sent >= file.size() + chunks * per_chunk_overhead);
}

TEST_CASE("the path moves when each side's own channel opens; frames crossing on the old path are harmless") {
  World w;
  const Bytes big = pseudo_random_file(2 * 1000 * 1000, 36);
  w.join_without_udp();
  w.advance(kRaceRelayAfterMs + 250);
  // B sends, so chunks go B -> A and acknowledgements A -> B on the relay.
  w.b.files[7] = big;
  w.b.session.send_files({{"from-b.bin", big.size(), ""}}, {7});
  w.hold_relayed = true;
  for (int i = 0; i < 6; ++i) {
    w.step(w.a);
    w.step(w.b);
  }
  // B's channel opens first: A's frames held on the relay reach B only after B moved.
  w.open_channel(&w.b);
  w.hold_relayed = false;
  w.release_held();
  w.open_channel(&w.a);
  w.run();
  CHECK(w.a.session.transport() == Transport::kDirect);
  CHECK(w.b.session.transport() == Transport::kDirect);
  CHECK(w.a.finished[{w.a.rx, 0}]);
  CHECK((w.a.sinks[{w.a.rx, 0}] == big));
  const uint64_t chunks = (big.size() + transfer::kDefaultChunkBytes - 1) / transfer::kDefaultChunkBytes;
  CHECK(w.b.chunk_bytes_sent <= big.size() + chunks * kChunkFrameOverheadBytes + 8 * (transfer::kDefaultChunkBytes + kChunkFrameOverheadBytes));
  CHECK_FALSE(has_log(w.a.session, "failed"));
  CHECK_FALSE(has_log(w.b.session, "failed"));
}

TEST_CASE("A giving up the direct attempt as B's channel opens: both end on the relay and the file arrives whole") {
  World w;
  const Bytes file = racing_transfer(w, 3 * 1000 * 1000);
  w.open_channel(&w.b);  // B moves; A's channel never opens
  w.run();
  REQUIRE(w.b.session.transport() == Transport::kDirect);
  REQUIRE_FALSE(w.b.finished[{w.b.rx, 0}]);
  w.advance(kDirectTimeoutMs);
  w.run();
  for (Peer* p : {&w.a, &w.b}) {
    CHECK(p->session.transport() == Transport::kServer);
    CHECK(p->session.snapshot().path == PathKind::kServer);
  }
  CHECK(has_log(w.a.session, "The other device joined the server's relay"));
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
}

TEST_CASE("a race B never heard of: A's later relay brings B in, and A's transfer resumes from B's HAVE") {
  World w;
  w.join_without_udp();
  const Bytes file = w.send_from_a("lost-race.bin", 1000 * 1000, 37);
  w.drop_relay = [&](Peer& to, const std::string&) { return &to == &w.b; };  // A's "race" is lost
  w.advance(kRaceRelayAfterMs + 500);
  w.drop_relay = nullptr;
  REQUIRE(w.a.session.transport() == Transport::kServer);
  CHECK(w.b.session.transport() == Transport::kNone);
  CHECK(w.b.sinks.empty());  // B dropped A's frames: it was not on the relay
  w.advance(kDirectTimeoutMs);
  w.run();
  CHECK(w.b.session.transport() == Transport::kServer);
  CHECK(has_log(w.a.session, "The other device joined the server's relay"));
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
}

TEST_CASE("without a direct path and without a relay, the session fails once ICE fails") {
  World w;
  w.direct_ok = false;
  w.create_and_join_by_link();
  w.a.session.on_peer_state("failed");
  w.advance(1000);
  check_failed(w.a.session, "connect_failed");
}

TEST_CASE("ICE going bad on a live channel makes A restart ICE, on the same connection") {
  World w;
  w.create_and_join_by_link();
  REQUIRE(w.a.session.snapshot().phase == Phase::kConnected);
  const int fresh_b = w.b.fresh_peers;
  w.a.session.on_peer_state("disconnected");
  w.advance(kIceRestartAfterMs + 1000);
  CHECK(w.a.ice_restarts == 1);
  CHECK(w.b.fresh_peers == fresh_b);  // B answered on its existing connection
  CHECK(w.b.peer_created);
  CHECK(has_log(w.a.session, "Restarting ICE"));
  w.a.session.on_peer_state("connected");
  w.advance(kIceRestartEveryMs * 2);
  CHECK(w.a.ice_restarts == 1);  // recovered: no more restarts
}

TEST_CASE("a channel that closes mid-transfer reconnects and resumes from the have-map") {
  World w;
  w.create_and_join_by_link();
  const Bytes file = w.send_from_a("cut.bin", 2 * 1000 * 1000, 32);
  run_until_received(w, file.size() / 2);
  REQUIRE_FALSE(w.b.finished[{w.b.rx, 0}]);
  w.close_channel();
  CHECK(w.a.session.snapshot().phase == Phase::kConnectingPeer);
  w.advance(kMinAttemptGapMs + 500);  // A builds a new connection
  w.run();
  CHECK(w.a.fresh_peers == 2);
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
  // Resent: at most what was in flight when the channel closed (reads in flight, 64 KiB each).
  CHECK(w.a.frame_bytes_sent < file.size() + (kReadsInFlight + 2) * (64 * 1024 + 200));
}

TEST_CASE("a signalling drop rejoins with the resume token; the live channel carries on") {
  World w;
  w.create_and_join_by_link();
  const std::string sas = w.a.session.snapshot().sas;
  w.drop_server(w.b);
  CHECK(w.a.session.snapshot().phase == Phase::kPeerLeft);
  w.advance(2000);  // B reconnects after its first back-off
  CHECK(w.b.server_open);
  CHECK(w.a.session.snapshot().phase == Phase::kConnected);
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
  CHECK(w.a.session.snapshot().sas == sas);  // no new handshake was needed
  const Bytes file = w.send_from_a("after.bin", 100 * 1000, 33);
  w.run();
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
}

TEST_CASE("the server staying away ends the session with a clear error") {
  World w;
  w.direct_ok = false;  // no channel that could carry on without the server
  w.create_and_join_by_link();
  w.server_up = false;
  w.drop_server(w.b);
  w.advance(kServerGiveUpMs + 10000);
  check_failed(w.b.session, "server_lost");
}

TEST_CASE("a reloaded receiver rejoins, secures again and resumes from the state it saved") {
  World w;
  const std::string link = w.create_and_join_by_link();
  const Bytes file = w.send_from_a("reload.bin", 12 * 1000 * 1000, 34);
  run_until_received(w, 10 * 1000 * 1000);  // past the first save (kPersistEveryBytes)
  const std::string key = w.room + "-" + std::to_string(w.b.rx);
  REQUIRE(w.b.saved.count(key));
  const Bytes state = w.b.saved[key];
  const std::string resume = w.b.session.resume_token();
  const std::string sas_before = w.a.session.snapshot().sas;
  // The tab reloads: the page and its session are gone; the disk (sinks, saved state) stays.
  w.reload(w.b, 77);
  w.b.session.restore_incoming(w.b.rx, state);
  REQUIRE(w.b.session.join_link(link, resume).ok());
  const uint64_t sent_before = w.a.frame_bytes_sent;
  w.run();
  w.advance(1000);
  w.run();
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
  CHECK(w.a.session.snapshot().sas != sas_before);  // a new handshake, new keys
  CHECK(has_log(w.b.session, "Resuming a transfer"));
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
  // Only what the saved state did not cover is sent again: the file less the 8 MiB saved.
  const uint64_t sent_after = w.a.frame_bytes_sent - sent_before;
  CHECK(sent_after < file.size() - kPersistEveryBytes + 4 * 64 * 1024);
}

TEST_CASE("a network change reconnects the signalling and makes A restart ICE") {
  World w;
  w.create_and_join_by_link();
  w.b.session.on_network_change(true);
  w.run();
  CHECK(w.a.ice_restarts == 1);
  CHECK(has_log(w.a.session, "the other device's network changed"));
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
  // The answer came back: A may restart again on its own network change.
  w.a.session.on_network_change(true);
  w.run();
  CHECK(w.a.ice_restarts == 2);
  // Offline: nothing to restart over.
  w.a.session.on_network_change(false);
  w.run();
  CHECK(w.a.ice_restarts == 2);
}

TEST_CASE("a vanished peer: once the direct path is dead too, transfers wait instead of moving") {
  World w;
  w.create_and_join_by_link();
  const Bytes file = w.send_from_a("gone.bin", 2 * 1000 * 1000, 35);
  run_until_received(w, file.size() / 3);
  // A's browser is killed: the server says it left; B's ICE notices the dead path a bit later.
  w.a.server_open = false;
  w.a.channel_open = w.b.channel_open = false;  // nothing crosses any more; no one is told yet
  w.b.session.on_server_message(protocol::serialize(protocol::ServerMessage{protocol::PeerLeft{}}));
  CHECK(w.b.session.snapshot().phase == Phase::kPeerLeft);
  CHECK(w.b.session.snapshot().transfers.at(0).state == TransferState::kReceiving);  // the channel may still work
  w.b.session.on_peer_state("disconnected");
  w.advance(kIceRestartAfterMs + 1000);
  const Snapshot s = w.b.session.snapshot();
  CHECK(s.transfers.at(0).state == TransferState::kWaiting);
  CHECK(s.path == PathKind::kNone);
  CHECK_FALSE(w.b.finished[{w.b.rx, 0}]);
}

TEST_CASE("only the side that paused can resume; the other side's resume does nothing") {
  World w;
  w.create_and_join_by_link();
  const Bytes file = w.send_from_a("p.bin", 10 * 1000 * 1000, 36);
  run_until_received(w, file.size() / 4);
  w.b.session.pause(w.b.rx, false);
  w.run();
  CHECK(w.a.session.snapshot().transfers.at(0).state == TransferState::kPaused);
  CHECK_FALSE(w.a.session.snapshot().transfers.at(0).paused_here);
  CHECK(w.b.session.snapshot().transfers.at(0).paused_here);
  const size_t lines = w.a.session.log().size();
  w.a.session.resume(w.a.session.snapshot().transfers.at(0).id, true);  // not A's pause: nothing happens, nothing is logged
  w.run();
  CHECK(w.a.session.log().size() == lines);
  CHECK(w.a.session.snapshot().transfers.at(0).state == TransferState::kPaused);
  w.b.session.resume(w.b.rx, false);
  w.run();
  CHECK(w.b.finished[{w.b.rx, 0}]);
  CHECK((w.b.sinks[{w.b.rx, 0}] == file));
}

TEST_CASE("a sink is opened with the sender's declared type, for the platform to vet") {
  World w;
  w.create_and_join_by_link();
  const Bytes file = pseudo_random_file(10'000, 46);
  w.a.files[1] = file;
  w.a.session.send_files({{"photo.png", file.size(), "image/png"}}, {1});
  w.run();
  CHECK(w.b.sink_mimes[{w.b.rx, 0}] == "image/png");
  CHECK(w.b.finished[{w.b.rx, 0}]);
}

TEST_CASE("an offer through the session waits for the person; declining keeps the session") {
  World w;
  w.b.session.set_accept_all(false);
  const Bytes one = pseudo_random_file(50'000, 31);
  const Bytes two = pseudo_random_file(20'000, 32);
  w.a.files[11] = one;
  w.a.files[12] = two;
  w.a.session.send_files({{"one.bin", one.size(), "application/octet-stream"}, {"two.txt", two.size(), "text/plain"}},
                         {11, 12});
  w.create_and_join_by_link();
  w.run();
  // B sees the offer with names, sizes and types; nothing is opened, written or sent yet.
  auto tb = w.b.session.snapshot().transfers;
  REQUIRE(tb.size() == 1);
  CHECK(tb[0].state == TransferState::kOffered);
  CHECK(tb[0].progress->files.at(1).name == "two.txt");
  CHECK(tb[0].progress->files.at(1).size == two.size());
  CHECK(tb[0].progress->files.at(1).mime == "text/plain");
  CHECK(w.b.sink_keys.empty());
  CHECK(w.a.chunk_bytes_sent == 0);
  CHECK(w.a.session.snapshot().transfers.at(0).state == TransferState::kAwaitingAnswer);

  // B takes only the second file.
  w.b.session.accept(tb[0].id, {1});
  w.run();
  CHECK(w.b.sinks[{w.b.rx, 1}] == two);
  CHECK(w.b.sink_keys.count({w.b.rx, 0}) == 0);
  // CHUNK frames of the second file only (its plaintext plus 63 bytes of header, nonce and tag).
  CHECK(w.a.chunk_bytes_sent == two.size() + 63);
  const auto ta = w.a.session.snapshot().transfers.at(0);
  CHECK(ta.state == TransferState::kComplete);
  CHECK(ta.answered);
  CHECK(ta.accepted_files == 1);
  CHECK(has_log(w.a.session, "The other device accepted 1 of 2 files"));

  // A second offer is declined; the session goes on, and a third one, with "accept everything
  // from this device", starts at once.
  w.a.session.send_files({{"one.bin", one.size(), ""}}, {11});
  w.run();
  tb = w.b.session.snapshot().transfers;
  REQUIRE(tb.size() == 2);
  const auto second = tb[0].state == TransferState::kOffered ? tb[0] : tb[1];
  REQUIRE(second.state == TransferState::kOffered);
  w.b.session.decline(second.id);
  w.run();
  CHECK(has_log(w.a.session, "The other device declined the files"));
  CHECK(w.a.chunk_bytes_sent == two.size() + 63);
  CHECK(w.b.session.snapshot().phase == Phase::kConnected);
  w.b.session.set_accept_all(true);
  w.a.session.send_files({{"one.bin", one.size(), ""}}, {11});
  w.run();
  size_t complete = 0;
  for (const auto& t : w.b.session.snapshot().transfers) complete += t.state == TransferState::kComplete ? 1 : 0;
  CHECK(complete == 2);
  CHECK(w.a.chunk_bytes_sent == two.size() + 63 + one.size() + 63);
}

TEST_CASE("a password room: the link and the code carry no secret, the right password transfers") {
  const std::string password = "Kuwait 2026";
  const Bytes file = pseudo_random_file(30'000, 41);
  {
    World w;
    w.a.files[1] = file;
    w.a.session.send_files({{"f.bin", file.size(), ""}}, {1});
    w.a.session.create(password);
    w.run();
    const Snapshot s = w.a.session.snapshot();
    REQUIRE(s.phase == Phase::kWaitingForPeer);
    CHECK(s.password_room);
    CHECK(s.link.size() > 3);
    CHECK(s.link.substr(s.link.size() - 3) == "#pw");
    CHECK(s.short_code == w.nameplate);  // the bare number: it only routes
    CHECK(s.link.find(password) == std::string::npos);
    // Without the password the link does not even start.
    CHECK(w.b.session.join_link(s.link).error().code == "password_needed");
    REQUIRE(w.b.session.join_link(s.link, {}, password).ok());
    w.run();
    CHECK(w.b.sinks[{w.b.rx, 0}] == file);
  }
  {
    World w;
    w.a.session.create(password);
    w.run();
    const std::string code = w.a.session.snapshot().short_code;
    CHECK(w.b.session.join_code(code).error().code == "password_needed");
    REQUIRE(w.b.session.join_code(code, "kuwait 2026").ok());  // wrong: case matters
    w.run();
    check_failed(w.b.session, "wrong_password");
    CHECK(w.pake_failures == 1);
    CHECK(has_log(w.a.session, "Someone tried to join with a wrong password"));
  }
}
