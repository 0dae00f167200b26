// Accept before receiving: an offer waits for the person, nothing is sent or written before the
// answer, and only the files accepted ever move.
#include <catch2/catch.hpp>

#include "test_support.h"

using namespace ferry;
using namespace ferry::transfer;
using namespace ferry::transfer::test;

namespace {

constexpr uint32_t kChunk = 4096;

// A and B linked; the person on B has not answered yet.
Link offered(std::vector<std::pair<std::string, Bytes>> files) {
  Link link = Link::make(std::move(files), kChunk);
  link.auto_accept = false;
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  return link;
}

}  // namespace

TEST_CASE("an offer waits for the person: no credit, no read, no sink and no write before accept") {
  const Bytes a = pseudo_random_bytes(10 * kChunk + 3, 1);
  Link link = offered({{"a.bin", a}});
  CHECK(link.receiver.state() == Receiver::State::kAwaitingAccept);
  CHECK(link.sender.state() == Sender::State::kAwaitingAccept);
  CHECK(commands_of<cmd::ManifestReceived>(link.log).size() == 1);
  CHECK(commands_of<cmd::Accepted>(link.log).empty());
  auto bodies = bodies_to_sender(link);
  REQUIRE(bodies.size() == 1);  // HAVE only: no answer, no WINDOW
  CHECK(std::holds_alternative<HaveMsg>(bodies[0]));
  CHECK(link.sender.credit() == 0);
  CHECK_FALSE(link.sender.next_read(0));
  link.pump();
  CHECK(link.sender.chunk_bytes_sent() == 0);
  CHECK(commands_of<cmd::Write>(link.log).empty());

  link.run(link.receiver.accept({0}));
  CHECK(commands_of<cmd::Accepted>(link.log).at(0).file_ids == std::vector<uint32_t>{0});
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK((link.sink[0] == a));
}

TEST_CASE("a partly accepted offer sends and writes only the files chosen, and completes") {
  const Bytes a = pseudo_random_bytes(6 * kChunk, 2);
  const Bytes b = pseudo_random_bytes(3 * kChunk + 9, 3);
  const Bytes c = pseudo_random_bytes(0, 4);
  Link link = offered({{"a.bin", a}, {"b.bin", b}, {"c.txt", c}});
  link.run(link.receiver.accept({1}));
  CHECK(link.sender.answered());
  CHECK(link.sender.accepted_files() == 1);
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK(link.sender.chunk_bytes_sent() == b.size());
  CHECK(link.sink.count(0) == 0);
  CHECK(link.sink.count(2) == 0);
  CHECK((link.sink[1] == b));
  const auto sent = link.sender.progress();
  CHECK(sent.files.at(0).state == FileState::kSkipped);
  CHECK(sent.files.at(1).state == FileState::kComplete);
  CHECK(sent.files.at(2).state == FileState::kSkipped);
  CHECK(sent.bytes_total == b.size());
  const auto got = link.receiver.progress();
  CHECK(got.files.at(0).state == FileState::kSkipped);
  CHECK(got.bytes_total == b.size());
  CHECK(got.bytes_done == b.size());
  CHECK(commands_of<cmd::FileComplete>(link.log).size() == 1);
}

TEST_CASE("declining ends the transfer on both sides with nothing sent or written") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 5);
  Link link = offered({{"a.bin", a}});
  link.run(link.receiver.decline());
  CHECK(link.receiver.state() == Receiver::State::kDeclined);
  CHECK(link.sender.state() == Sender::State::kDeclined);
  CHECK(commands_of<cmd::TransferDeclined>(link.log).size() == 1);
  link.pump();
  CHECK(link.sender.chunk_bytes_sent() == 0);
  CHECK(commands_of<cmd::Write>(link.log).empty());
  // Accepting an empty choice is declining, and answering twice changes nothing.
  CHECK(link.receiver.accept({0}).empty());
  Link other = offered({{"a.bin", a}});
  other.run(other.receiver.accept({42}));
  CHECK(other.receiver.state() == Receiver::State::kDeclined);
}

TEST_CASE("a sealed chunk before the answer is dropped unopened and unwritten") {
  const Bytes a = pseudo_random_bytes(4 * kChunk, 6);
  Link link = offered({{"a.bin", a}});
  auto cmds = link.receiver.on_frame(parse_ok(sealed_chunk(a, kChunk, 0, 0)));
  REQUIRE(commands_of<cmd::Failure>(cmds).size() == 1);
  CHECK(commands_of<cmd::Failure>(cmds)[0].error.code == "not_accepted");
  CHECK_FALSE(commands_of<cmd::Failure>(cmds)[0].fatal);
  CHECK(commands_of<cmd::Write>(cmds).empty());
  CHECK(link.receiver.state() == Receiver::State::kAwaitingAccept);
  CHECK(link.receiver.have_map(0)->count() == 0);
}

TEST_CASE("a sealed chunk of a file not accepted is dropped unwritten, and the rest completes") {
  const Bytes a = pseudo_random_bytes(4 * kChunk, 7);
  const Bytes b = pseudo_random_bytes(2 * kChunk, 8);
  Link link = offered({{"a.bin", a}, {"b.bin", b}});
  link.run(link.receiver.accept({1}));
  auto cmds = link.receiver.on_frame(parse_ok(sealed_chunk(a, kChunk, 0, 0)));
  REQUIRE(commands_of<cmd::Failure>(cmds).size() == 1);
  CHECK(commands_of<cmd::Failure>(cmds)[0].error.code == "not_accepted");
  CHECK(commands_of<cmd::Write>(cmds).empty());
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sink.count(0) == 0);
}

TEST_CASE("a reconnect while the offer waits asks the person only once") {
  const Bytes a = pseudo_random_bytes(4 * kChunk, 9);
  Link link = offered({{"a.bin", a}});
  link.sender.disconnect();
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  CHECK(commands_of<cmd::ManifestReceived>(link.log).size() == 1);
  CHECK(link.receiver.state() == Receiver::State::kAwaitingAccept);
  CHECK(link.sender.state() == Sender::State::kAwaitingAccept);
  link.run(link.receiver.accept({0}));
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
}

TEST_CASE("the answer survives a reload: the restored receiver answers the next offer at once") {
  const Bytes a = pseudo_random_bytes(8 * kChunk, 10);
  const Bytes b = pseudo_random_bytes(8 * kChunk, 11);
  Link link = offered({{"a.bin", a}, {"b.bin", b}});
  link.run(link.receiver.accept({1}));
  link.pump(3);
  const Bytes saved = link.receiver.persist();
  auto restored = Receiver::restore(key_from(1), saved, seeded_random(5));
  REQUIRE(restored.ok());
  CHECK(restored->accepted());
  link.receiver = std::move(restored).value();
  link.sender.disconnect();
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  CHECK(link.receiver.state() == Receiver::State::kReceiving);
  CHECK(link.sender.state() == Sender::State::kSending);
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK((link.sink[1] == b));
  CHECK(link.sink.count(0) == 0);
  CHECK(link.receiver.progress().files.at(0).state == FileState::kSkipped);
}

TEST_CASE("saved state with file flags but no answer is refused") {
  const Bytes a = pseudo_random_bytes(2 * kChunk, 12);
  Link link = offered({{"a.bin", a}, {"b.bin", a}});
  link.run(link.receiver.accept({0}));
  Bytes saved = link.receiver.persist();
  // The byte after the manifest says "answered"; clearing it leaves file 1 marked skipped.
  bool found = false;
  auto again = Receiver::restore(key_from(1), saved, seeded_random(5));
  REQUIRE(again.ok());
  for (size_t i = 0; i < saved.size() && !found; ++i) {
    if (saved[i] != 1) continue;
    Bytes edited = saved;
    edited[i] = 0;
    auto r = Receiver::restore(key_from(1), edited, seeded_random(5));
    if (!r.ok() && r.error().code == "bad_resume_state") found = true;
  }
  CHECK(found);
}

TEST_CASE("the sender refuses an answer that names a file it never offered") {
  const Bytes a = pseudo_random_bytes(2 * kChunk, 13);
  SenderOptions opt;
  opt.chunk_size = kChunk;
  Sender sender = *Sender::create(key_from(1), 7, {{"a", a.size(), ""}}, opt, seeded_random(1));
  const auto manifest = sender.connect(key_from(1));
  ControlOpener opener(key_from(1), 7, protocol::Origin::kSender);
  const Epoch epoch = (*opener.open(std::get<protocol::ControlFrame>(parse_ok(manifest.at(0))), nullptr))->epoch;
  ControlSealer receiver_side(key_from(1), 7, protocol::Origin::kReceiver);
  auto rng = seeded_random(9);
  REQUIRE(sender.on_frame(parse_ok(test::seal_one(receiver_side, {epoch, HaveMsg{{{0, {}}}}}, rng))).ok());
  auto r = sender.on_frame(parse_ok(test::seal_one(receiver_side, {epoch, AcceptMsg{{5}}}, rng)));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bad_accept");
  CHECK(sender.state() == Sender::State::kAwaitingAccept);
  CHECK_FALSE(sender.answered());
  CHECK_FALSE(sender.next_read(0));
}
