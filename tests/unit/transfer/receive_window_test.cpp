// Receiver-driven flow control (WINDOW): a receiver whose disk is slower than the network
// slows its sender down, and a sender that ignores the window fails the transfer.
#include <catch2/catch.hpp>

#include "test_support.h"

using namespace ferry;
using namespace ferry::transfer;
using namespace ferry::transfer::test;

namespace {

constexpr uint32_t kChunk = kDefaultChunkBytes;
constexpr uint64_t kWindow = kMinReceiveWindowBytes;  // 2 MiB: 32 chunks of 64 KiB

Link throttled(size_t file_bytes) {
  Link link = Link::make({{"big.bin", pseudo_random_bytes(file_bytes, 3)}}, kChunk, 1, kWindow);
  link.ack_writes = false;
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  return link;
}

size_t windows_sent(const Link& link) {
  size_t n = 0;
  for (const auto& b : bodies_to_sender(link)) n += std::holds_alternative<WindowMsg>(b) ? 1 : 0;
  return n;
}

Epoch epoch_of(const Bytes& manifest_frame) {
  ControlOpener opener(key_from(1), 7, protocol::Origin::kSender);
  auto msg = opener.open(std::get<protocol::ControlFrame>(parse_ok(manifest_frame)), nullptr);
  REQUIRE(msg.ok());
  REQUIRE(msg->has_value());
  return (*msg)->epoch;
}

// A CHUNK sealed like a real sender's, but sent whatever the credit says.
Bytes rogue_chunk(const Bytes& file, uint64_t index, uint32_t file_id = 0) {
  return sealed_chunk(file, kChunk, index, file_id);
}

bool any_failure(const std::vector<Command>& log) {
  return !commands_of<cmd::Failure>(log).empty();
}

}  // namespace

TEST_CASE("the receiver grants one window of credit right after its have-map and its answer") {
  Link link = throttled(4 * kWindow);
  auto bodies = bodies_to_sender(link);
  REQUIRE(bodies.size() == 3);
  CHECK(std::holds_alternative<HaveMsg>(bodies[0]));
  CHECK(std::get<AcceptMsg>(bodies[1]).file_ids == std::vector<uint32_t>{0});
  CHECK(std::get<WindowMsg>(bodies[2]).credit == kWindow);
  CHECK(link.sender.credit() == kWindow);
  CHECK(link.receiver.credit_granted() == kWindow);
}

TEST_CASE("a receiver that never acknowledges writes stops the sender after one window") {
  Link link = throttled(4 * kWindow);
  link.pump();
  CHECK(link.sender.state() == Sender::State::kSending);
  CHECK(link.sender.flow_blocked());
  CHECK_FALSE(link.sender.next_read(0));
  CHECK(link.sender.epoch_bytes_sent() == kWindow);
  CHECK(link.receiver.unwritten_bytes() == kWindow);
  CHECK(link.unacked == kWindow);
  CHECK_FALSE(any_failure(link.log));
}

TEST_CASE("acknowledging written bytes lets a throttled transfer finish with few WINDOW messages") {
  const size_t size = 3 * kWindow + 12345;
  Link link = throttled(size);
  uint64_t peak = 0;
  for (int round = 0; round < 10000 && link.receiver.state() == Receiver::State::kReceiving;
       ++round) {
    link.pump();
    peak = std::max(peak, link.receiver.unwritten_bytes());
    link.ack(std::min<uint64_t>(link.unacked, 3 * kChunk));  // the disk writes a little at a time
  }
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK((link.sink[0] == link.source[0]));
  CHECK(peak <= kWindow);
  CHECK_FALSE(any_failure(link.log));
  // One WINDOW per quarter window of progress, plus the first.
  CHECK(windows_sent(link) <= 1 + size / (kWindow / 4) + 1);
  CHECK(windows_sent(link) >= size / kWindow);
}

TEST_CASE("a new WINDOW is sent only after a quarter window of writes") {
  Link link = throttled(4 * kWindow);
  link.pump();
  const size_t before = link.to_sender.size();
  link.ack(kWindow / 4 - 1);
  CHECK(link.to_sender.size() == before);
  CHECK(link.sender.credit() == kWindow);
  link.ack(1);
  CHECK(link.to_sender.size() == before + 1);
  CHECK(link.sender.credit() == kWindow + kWindow / 4);
  CHECK(link.sender.next_read(0));
}

TEST_CASE("a sender ignoring the window fails the transfer with flow_control before it grows") {
  Link link = throttled(4 * kWindow);
  const Bytes& file = link.source[0];
  const uint64_t chunks = chunk_count(file.size(), kChunk);
  const uint64_t tolerated = (kWindow + kFlowSlackBytes) / kChunk;
  std::vector<Command> last;
  for (uint64_t i = 0; i < chunks && link.receiver.state() == Receiver::State::kReceiving; ++i) {
    last = link.receiver.on_frame(parse_ok(rogue_chunk(file, i)));
    link.run(last);
  }
  auto failures = commands_of<cmd::Failure>(link.log);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].error.code == "flow_control");
  CHECK(failures[0].fatal);
  CHECK(failures[0].error.message.find("flow control") != std::string::npos);
  CHECK(commands_of<cmd::Write>(last).empty());  // the chunk past the window is not written
  CHECK(commands_of<cmd::Write>(link.log).size() == tolerated);
  CHECK(link.receiver.unwritten_bytes() == tolerated * kChunk);
  CHECK(link.receiver.state() == Receiver::State::kFailed);
  // The sender hears why (an ERROR), and later chunks change nothing.
  CHECK(link.sender.state() == Sender::State::kFailed);
  CHECK(link.receiver.on_frame(parse_ok(rogue_chunk(file, chunks - 1))).empty());
}

TEST_CASE("duplicates of chunks already held do not count against the window") {
  Link link = throttled(4 * kWindow);
  auto r = link.sender.next_read(0);
  REQUIRE(r);
  auto frames = link.sender.on_read(r->file_id, r->index,
                                    ByteView(link.source[0].data() + r->offset, r->length));
  REQUIRE(frames.ok());
  for (int i = 0; i < 100; ++i) link.deliver_to_receiver(frames->at(0));  // 6.4 MB of copies
  CHECK_FALSE(any_failure(link.log));
  CHECK(link.receiver.unwritten_bytes() == kChunk);
  CHECK(commands_of<cmd::Write>(link.log).size() == 1);
}

TEST_CASE("a replayed WINDOW or one from an earlier connection is rejected by the sender") {
  Link link = throttled(4 * kWindow);
  const Bytes old_window = link.to_sender.at(2);
  auto replay = link.sender.on_frame(parse_ok(old_window));
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.error().code == "replay");
  link.pump();
  link.reconnect_unheard(key_from(1));
  // The relay replays the first connection's WINDOW (a full window) instead of the new frames.
  auto stale = link.sender.on_frame(parse_ok(old_window));
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().code == "wrong_epoch");
  CHECK(link.sender.credit() == 0);  // a new epoch starts without credit
  link.deliver_to_sender(link.to_sender.at(link.to_sender.size() - 3));  // the new HAVE
  CHECK(link.sender.state() == Sender::State::kAwaitingAccept);
  link.deliver_to_sender(link.to_sender.at(link.to_sender.size() - 2));  // and ACCEPT, no WINDOW
  CHECK(link.sender.state() == Sender::State::kSending);
  CHECK_FALSE(link.sender.next_read(0));
  CHECK(link.sender.flow_blocked());
}

TEST_CASE("a WINDOW before the have-map counts, and a smaller credit than before is ignored") {
  const Bytes data = pseudo_random_bytes(4 * kWindow, 4);
  SenderOptions opt;
  opt.chunk_size = kChunk;
  auto made = Sender::create(key_from(1), 7, {{"a", data.size(), ""}}, opt, seeded_random(1));
  REQUIRE(made.ok());
  Sender sender = std::move(made).value();
  const Epoch epoch = epoch_of(sender.connect(key_from(1)).at(0));
  ControlSealer receiver_side(key_from(1), 7, protocol::Origin::kReceiver);
  auto rng = seeded_random(9);
  auto deliver = [&](ControlBody body) {
    return sender.on_frame(parse_ok(test::seal_one(receiver_side, {epoch, std::move(body)}, rng)));
  };
  REQUIRE(deliver(WindowMsg{10 * kChunk}).ok());
  CHECK(sender.state() == Sender::State::kAwaitingHave);
  CHECK(sender.credit() == 10 * kChunk);
  REQUIRE(deliver(WindowMsg{4 * kChunk}).ok());
  CHECK(sender.credit() == 10 * kChunk);
  REQUIRE(deliver(HaveMsg{{{0, {}}}}).ok());
  CHECK(sender.state() == Sender::State::kAwaitingAccept);
  CHECK_FALSE(sender.next_read(0));  // credit, but no answer yet
  REQUIRE(deliver(AcceptMsg{{0}}).ok());
  CHECK(sender.state() == Sender::State::kSending);
  uint64_t sent = 0;
  while (auto r = sender.next_read(0)) {
    auto frames =
        sender.on_read(r->file_id, r->index, ByteView(data.data() + r->offset, r->length));
    REQUIRE(frames.ok());
    sent += r->length;
  }
  CHECK(sent == 10 * kChunk);
  CHECK(sender.epoch_bytes_sent() == 10 * kChunk);
  CHECK(sender.flow_blocked());
}

TEST_CASE("reads in flight count against the credit") {
  const Bytes data = pseudo_random_bytes(4 * kWindow, 5);
  SenderOptions opt;
  opt.chunk_size = kChunk;
  Sender sender = *Sender::create(key_from(1), 7, {{"a", data.size(), ""}}, opt, seeded_random(1));
  const Epoch epoch = epoch_of(sender.connect(key_from(1)).at(0));
  ControlSealer receiver_side(key_from(1), 7, protocol::Origin::kReceiver);
  auto rng = seeded_random(9);
  REQUIRE(sender.on_frame(parse_ok(test::seal_one(receiver_side, {epoch, HaveMsg{{{0, {}}}}}, rng))).ok());
  REQUIRE(sender.on_frame(parse_ok(test::seal_one(receiver_side, {epoch, AcceptMsg{{0}}}, rng))).ok());
  REQUIRE(
      sender.on_frame(parse_ok(test::seal_one(receiver_side, {epoch, WindowMsg{2 * kChunk + 1}}, rng))).ok());
  CHECK(sender.next_read(0));
  CHECK(sender.next_read(0));
  CHECK_FALSE(sender.next_read(0));  // two reads in flight already use the credit
  CHECK(sender.flow_blocked());
}

TEST_CASE("after a drop, unwritten bytes are carried into the next connection's credit") {
  Link link = throttled(4 * kWindow);
  link.pump();
  CHECK(link.receiver.unwritten_bytes() == kWindow);
  // The channel drops and comes back; the receiver survives, its disk still busy.
  link.sender.disconnect();
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  CHECK(link.sender.state() == Sender::State::kSending);
  CHECK(link.sender.credit() == 0);  // the whole window is still unwritten
  CHECK(link.receiver.credit_granted() == 0);
  link.pump();
  CHECK(link.sender.epoch_bytes_sent() == 0);
  link.ack(kWindow / 2);  // half of the earlier epoch's bytes reach the disk
  CHECK(link.sender.credit() == kWindow / 2);
  link.pump();
  CHECK(link.sender.epoch_bytes_sent() == kWindow / 2);
  CHECK(link.receiver.unwritten_bytes() == kWindow);
  link.ack_writes = true;
  link.ack(link.unacked);
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK((link.sink[0] == link.source[0]));
  CHECK(link.sender.chunk_bytes_sent() == link.source[0].size());  // nothing sent twice
}

TEST_CASE("a restored receiver grants a full window and the transfer resumes") {
  Link link = throttled(4 * kWindow);
  link.pump();
  const Bytes saved = link.receiver.persist();
  link.sender.disconnect();
  auto restored = Receiver::restore(key_from(1), saved, seeded_random(3), kWindow);
  REQUIRE(restored.ok());
  link.receiver = std::move(restored).value();
  link.unacked = 0;  // the old tab's pending writes are not this receiver's
  link.ack_writes = true;
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  CHECK(link.sender.credit() == kWindow);
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK((link.sink[0] == link.source[0]));
  CHECK(link.receiver.on_written(1).empty());  // a late acknowledgement is harmless
}

TEST_CASE("rekey keeps the unwritten count for the next epoch") {
  Link link = throttled(4 * kWindow);
  link.pump();
  link.sender.disconnect();
  link.receiver.rekey(key_from(6));
  CHECK(link.receiver.unwritten_bytes() == kWindow);
  CHECK(link.receiver.on_written(kWindow / 2).empty());  // no epoch yet: nothing to send
  link.deliver_to_receiver(link.sender.connect(key_from(6)));
  CHECK(link.sender.credit() == kWindow / 2);
}

TEST_CASE("chunks of a file that failed part-way still earn credit, so the other files finish") {
  Link link = Link::make({{"broken.bin", pseudo_random_bytes(3 * kWindow, 6)},
                          {"fine.bin", pseudo_random_bytes(5 * kChunk + 7, 7)}},
                         kChunk, 1, kWindow, /*reorder=*/0);
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  // Chunk 1 arrives before chunk 0; hashing it needs a read-back, which the disk fails.
  const Bytes& broken = link.source[0];
  auto cmds = link.receiver.on_frame(parse_ok(rogue_chunk(broken, 1)));
  auto more = link.receiver.on_frame(parse_ok(rogue_chunk(broken, 0)));
  cmds.insert(cmds.end(), more.begin(), more.end());
  auto read_backs = commands_of<cmd::ReadBack>(cmds);
  REQUIRE(read_backs.size() == 1);
  for (const auto& c : cmds) link.log.push_back(c);
  CHECK(link.receiver.on_written(2 * kChunk).empty());
  link.run(link.receiver.on_read_back(0, read_backs[0].index, ByteView()));  // short read
  REQUIRE(commands_of<cmd::FileFailed>(link.log).size() == 1);
  // The sender goes on sending the broken file (it cannot know) and then the other one.
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kFailed);  // every file done, one failed
  CHECK(link.sender.state() == Sender::State::kFailed);
  CHECK(link.receiver.progress().files.at(1).state == FileState::kComplete);
  CHECK((link.sink[1] == link.source[1]));
  CHECK(link.sink[0].empty());  // nothing of the broken file was written after it failed
  for (const auto& f : commands_of<cmd::Failure>(link.log)) CHECK(f.error.code != "flow_control");
}
