// Sender and receiver behaviours, over a direct in-order link (test_support.h).
#include <catch2/catch.hpp>

#include <set>

#include "test_support.h"

using namespace ferry;
using namespace ferry::transfer;
using namespace ferry::transfer::test;

namespace {

constexpr uint32_t kChunk = 1024;

// reorder: the receiver's reorder buffer (0: chunks ahead of the hash cursor are read back).
Link started(std::vector<std::pair<std::string, Bytes>> files, uint64_t reorder = kReorderBufferBytes) {
  Link link = Link::make(std::move(files), kChunk, 1, kReceiveWindowBytes, reorder);
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  return link;
}

bool wrote_anything(const std::vector<Command>& cmds) {
  return !commands_of<cmd::Write>(cmds).empty();
}

}  // namespace

TEST_CASE("a transfer of several files completes with matching hashes") {
  const Bytes a = pseudo_random_bytes(5000, 1);
  const Bytes b = pseudo_random_bytes(kChunk * 3, 2);
  Link link = started({{"a.bin", a}, {"b.bin", b}});
  CHECK(link.sender.state() == Sender::State::kSending);
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK((link.sink[0] == a));
  CHECK((link.sink[1] == b));
  auto done = commands_of<cmd::FileComplete>(link.log);
  REQUIRE(done.size() == 2);
  CHECK(done[0].hash == crypto::blake2b_256(a));
  CHECK(done[1].hash == crypto::blake2b_256(b));
  CHECK(commands_of<cmd::TransferComplete>(link.log).size() == 1);
  CHECK(link.receiver.progress().bytes_done == a.size() + b.size());
  CHECK(link.sender.progress().files[1].state == FileState::kComplete);
}

TEST_CASE("an empty file is one empty chunk and completes") {
  Link link = started({{"empty", Bytes{}}});
  auto r = link.sender.next_read(0);
  REQUIRE(r);
  CHECK(r->length == 0);
  link.deliver_to_receiver(*link.sender.on_read(r->file_id, r->index, {}));
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(commands_of<cmd::FileComplete>(link.log).at(0).hash == crypto::blake2b_256({}));
}

TEST_CASE("the sender reads nothing before the receiver's have-map") {
  Link link = Link::make({{"a", pseudo_random_bytes(3000, 1)}}, kChunk);
  auto hello = link.sender.connect(key_from(1));
  CHECK(link.sender.state() == Sender::State::kAwaitingHave);
  CHECK_FALSE(link.sender.next_read(0));
  link.deliver_to_receiver(hello);
  CHECK(link.sender.next_read(0));
}

TEST_CASE("tampered chunk is never accepted or written") {
  const Bytes data = pseudo_random_bytes(3000, 4);
  Link link = started({{"a", data}});
  auto r = link.sender.next_read(0);
  auto frames = link.sender.on_read(r->file_id, r->index, ByteView(data.data(), r->length));
  REQUIRE(frames.ok());
  Bytes tampered = frames->at(0);
  tampered[protocol::kChunkHeaderBytes + 30] ^= 0x01;  // a ciphertext bit
  auto cmds = link.receiver.on_frame(parse_ok(tampered));
  CHECK_FALSE(wrote_anything(cmds));
  auto failures = commands_of<cmd::Failure>(cmds);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].error.code == "bad_mac");
  CHECK_FALSE(failures[0].fatal);
  CHECK(link.receiver.have_map(0)->count() == 0);
  // The genuine chunk still gets through afterwards.
  link.deliver_to_receiver(*frames);
  CHECK(link.receiver.have_map(0)->has(0));
}

TEST_CASE("chunk moved to another file or index is rejected") {
  const Bytes a = pseudo_random_bytes(3 * kChunk, 5);
  Link link = started({{"a", a}, {"b", a}});
  auto r = link.sender.next_read(0);
  auto frames = link.sender.on_read(r->file_id, r->index, ByteView(a.data(), r->length));
  auto original = std::get<protocol::ChunkFrame>(parse_ok(frames->at(0)));
  auto moved_index = original;
  moved_index.index = 1;
  auto moved_file = original;
  moved_file.file_id = 1;
  auto other_transfer = original;
  other_transfer.transfer_id = 8;
  auto fake_last = original;
  fake_last.index = 2;
  fake_last.last = true;
  for (const auto& f : {moved_index, moved_file, fake_last}) {
    auto cmds = link.receiver.on_frame(protocol::Frame(f));
    CHECK_FALSE(wrote_anything(cmds));
    REQUIRE(commands_of<cmd::Failure>(cmds).size() == 1);
    CHECK(commands_of<cmd::Failure>(cmds)[0].error.code == "bad_mac");
  }
  auto cmds = link.receiver.on_frame(protocol::Frame(other_transfer));
  CHECK_FALSE(wrote_anything(cmds));
  CHECK(commands_of<cmd::Failure>(cmds)[0].error.code == "wrong_transfer");
  auto not_last = original;
  not_last.index = 2;  // the real last chunk claimed as not last
  cmds = link.receiver.on_frame(protocol::Frame(not_last));
  CHECK(commands_of<cmd::Failure>(cmds)[0].error.code == "bad_chunk_index");
}

TEST_CASE("duplicate chunk is ignored") {
  const Bytes a = pseudo_random_bytes(3 * kChunk, 5);
  Link link = started({{"a", a}});
  auto r = link.sender.next_read(0);
  auto frames = link.sender.on_read(r->file_id, r->index, ByteView(a.data(), r->length));
  link.deliver_to_receiver(*frames);
  auto again = link.receiver.on_frame(parse_ok(frames->at(0)));
  CHECK(again.empty());
}

TEST_CASE("missing last chunk never completes") {
  const Bytes a = pseudo_random_bytes(3 * kChunk, 6);
  Link link = started({{"a", a}});
  for (int i = 0; i < 3; ++i) {
    auto r = link.sender.next_read(0);
    REQUIRE(r);
    auto frames = link.sender.on_read(r->file_id, r->index, ByteView(a.data() + r->offset, r->length));
    if (r->index == 2) {
      // Deliver only the FILE_END, never the last chunk.
      REQUIRE(frames->size() == 2);
      link.deliver_to_receiver(frames->at(1));
    } else {
      link.deliver_to_receiver(*frames);
    }
  }
  CHECK(link.receiver.state() == Receiver::State::kReceiving);
  CHECK(commands_of<cmd::FileComplete>(link.log).empty());
  CHECK(link.receiver.progress().files[0].state == FileState::kActive);
  CHECK(link.sender.state() == Sender::State::kAwaitingComplete);
}

TEST_CASE("whole-file hash mismatch fails the file and never completes it") {
  const Bytes a = pseudo_random_bytes(2 * kChunk, 7);
  Link link = started({{"a", a}}, /*reorder=*/0);
  std::vector<std::vector<Bytes>> reads;
  for (int i = 0; i < 2; ++i) {
    auto r = link.sender.next_read(0);
    reads.push_back(*link.sender.on_read(r->file_id, r->index, ByteView(a.data() + r->offset, r->length)));
  }
  // Chunk 1 arrives first and is written ahead of the hash cursor; then the sink is damaged
  // (a disk error, another program), so the read-back for hashing sees other bytes.
  link.deliver_to_receiver(reads[1]);
  link.sink[0][kChunk + 5] ^= 0x40;
  link.deliver_to_receiver(reads[0]);
  CHECK(commands_of<cmd::ReadBack>(link.log).size() == 1);
  auto failed = commands_of<cmd::FileFailed>(link.log);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].error.code == "hash_mismatch");
  CHECK(commands_of<cmd::FileComplete>(link.log).empty());
  CHECK(commands_of<cmd::TransferComplete>(link.log).empty());
  CHECK(link.receiver.state() == Receiver::State::kFailed);
  CHECK(link.receiver.progress().files[0].state == FileState::kFailed);
  CHECK(link.sender.state() == Sender::State::kFailed);
}

TEST_CASE("chunks ahead of the hash cursor are hashed through read-backs beyond the reorder buffer") {
  const Bytes a = pseudo_random_bytes(4 * kChunk + 3, 8);
  Link link = started({{"a", a}}, /*reorder=*/0);
  std::vector<std::vector<Bytes>> reads;
  while (auto r = link.sender.next_read(0)) {
    reads.push_back(*link.sender.on_read(r->file_id, r->index, ByteView(a.data() + r->offset, r->length)));
  }
  for (size_t i = reads.size(); i-- > 0;) link.deliver_to_receiver(reads[i]);  // reversed
  CHECK(commands_of<cmd::ReadBack>(link.log).size() == 4);
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK((link.sink[0] == a));
}

TEST_CASE("chunks ahead of the hash cursor are hashed from the reorder buffer, without read-backs") {
  const Bytes a = pseudo_random_bytes(6 * kChunk + 3, 9);
  Link link = started({{"a", a}});
  std::vector<std::vector<Bytes>> reads;
  while (auto r = link.sender.next_read(0)) {
    reads.push_back(*link.sender.on_read(r->file_id, r->index, ByteView(a.data() + r->offset, r->length)));
  }
  REQUIRE(reads.size() == 7);
  // As striped lanes deliver them: interleaved, the first chunk last but one.
  for (size_t i : {2, 1, 4, 3, 6, 0, 5}) link.deliver_to_receiver(reads[i]);
  CHECK(commands_of<cmd::ReadBack>(link.log).empty());
  CHECK(link.receiver.reorder_buffered_bytes() == 0);
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK((link.sink[0] == a));
}

TEST_CASE("a full reorder buffer falls back to read-backs and still verifies the file") {
  const Bytes a = pseudo_random_bytes(6 * kChunk, 10);
  Link link = started({{"a", a}}, /*reorder=*/2 * kChunk);
  std::vector<std::vector<Bytes>> reads;
  while (auto r = link.sender.next_read(0)) {
    reads.push_back(*link.sender.on_read(r->file_id, r->index, ByteView(a.data() + r->offset, r->length)));
  }
  for (size_t i = reads.size(); i-- > 1;) link.deliver_to_receiver(reads[i]);  // 5, 4, ..., 1
  CHECK(link.receiver.reorder_buffered_bytes() == 2 * kChunk);  // chunks 5 and 4; 3..1 on disk only
  link.deliver_to_receiver(reads[0]);
  CHECK(commands_of<cmd::ReadBack>(link.log).size() == 3);
  CHECK(link.receiver.reorder_buffered_bytes() == 0);
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK((link.sink[0] == a));
}

TEST_CASE("a cancelled receiver lets go of its reorder buffer") {
  const Bytes a = pseudo_random_bytes(4 * kChunk, 11);
  Link link = started({{"a", a}});
  std::vector<std::vector<Bytes>> reads;
  while (auto r = link.sender.next_read(0)) {
    reads.push_back(*link.sender.on_read(r->file_id, r->index, ByteView(a.data() + r->offset, r->length)));
  }
  link.deliver_to_receiver(reads[2]);
  link.deliver_to_receiver(reads[3]);
  CHECK(link.receiver.reorder_buffered_bytes() == 2 * kChunk);
  link.run(link.receiver.cancel());
  CHECK(link.receiver.reorder_buffered_bytes() == 0);
}

TEST_CASE("receiver pause stops the sender's reads until resume") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 9);
  Link link = started({{"a", a}});
  link.pump(2);
  link.run(link.receiver.pause());
  CHECK(link.sender.paused());
  CHECK(link.receiver.paused());
  CHECK_FALSE(link.sender.next_read(0));
  link.run(link.receiver.resume());
  CHECK_FALSE(link.sender.paused());
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
}

TEST_CASE("sender pause is shown by the receiver and stops reads") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 9);
  Link link = started({{"a", a}});
  link.pump(1);
  link.deliver_to_receiver(link.sender.pause());
  CHECK(link.receiver.paused());
  CHECK(link.receiver.progress().paused);
  CHECK_FALSE(link.sender.next_read(0));
  link.deliver_to_receiver(link.sender.resume());
  CHECK_FALSE(link.receiver.paused());
  link.pump();
  CHECK(link.sender.state() == Sender::State::kComplete);
}

TEST_CASE("sender cancel reaches the receiver and nothing completes") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 10);
  Link link = started({{"a", a}});
  link.pump(2);
  link.deliver_to_receiver(link.sender.cancel());
  CHECK(link.sender.state() == Sender::State::kCancelled);
  CHECK(link.receiver.state() == Receiver::State::kCancelled);
  REQUIRE(commands_of<cmd::TransferCancelled>(link.log).size() == 1);
  CHECK(commands_of<cmd::TransferCancelled>(link.log)[0].by_peer);
  CHECK_FALSE(link.sender.next_read(0));
  CHECK(commands_of<cmd::FileComplete>(link.log).empty());
}

TEST_CASE("receiver cancel stops the sender") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 10);
  Link link = started({{"a", a}});
  link.pump(2);
  link.run(link.receiver.cancel());
  CHECK(link.receiver.state() == Receiver::State::kCancelled);
  CHECK(link.sender.state() == Sender::State::kCancelled);
  CHECK_FALSE(link.sender.next_read(0));
}

TEST_CASE("replayed control frame from the sender is rejected by the receiver") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 11);
  Link link = started({{"a", a}});
  auto pause = link.sender.pause();
  link.deliver_to_receiver(pause);
  link.deliver_to_receiver(link.sender.resume());
  CHECK_FALSE(link.receiver.paused());
  auto cmds = link.receiver.on_frame(parse_ok(pause.at(0)));  // replay the PAUSE
  REQUIRE(commands_of<cmd::Failure>(cmds).size() == 1);
  CHECK(commands_of<cmd::Failure>(cmds)[0].error.code == "replay");
  CHECK_FALSE(link.receiver.paused());
}

TEST_CASE("replayed control frame from the receiver is rejected by the sender") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 11);
  Link link = started({{"a", a}});
  link.run(link.receiver.pause());
  const Bytes pause = link.to_sender.back();
  link.run(link.receiver.resume());
  auto r = link.sender.on_frame(parse_ok(pause));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "replay");
  CHECK_FALSE(link.sender.paused());
}

TEST_CASE("frames sealed with another session's key are rejected") {
  const Bytes a = pseudo_random_bytes(3 * kChunk, 12);
  Link link = started({{"a", a}});
  Link intruder = Link::make({{"a", a}}, kChunk, /*key_seed=*/9);
  auto hello = intruder.sender.connect(key_from(9));
  auto cmds = link.receiver.on_frame(parse_ok(hello.at(0)));
  CHECK(commands_of<cmd::Failure>(cmds).at(0).error.code == "bad_mac");
  intruder.deliver_to_receiver(hello);
  auto r = intruder.sender.next_read(0);
  auto frames = intruder.sender.on_read(0, 0, ByteView(a.data(), r->length));
  cmds = link.receiver.on_frame(parse_ok(frames->at(0)));
  CHECK_FALSE(wrote_anything(cmds));
  CHECK(commands_of<cmd::Failure>(cmds).at(0).error.code == "bad_mac");
}

TEST_CASE("resume sends only missing chunks") {
  const Bytes a = pseudo_random_bytes(10 * kChunk, 13);
  Link link = started({{"a", a}});
  link.pump(4);
  const Bytes saved = link.receiver.persist();
  const uint64_t sent_before = link.sender.chunk_bytes_sent();
  CHECK(sent_before == 4 * kChunk);
  // The receiver's tab reloads: a new session key, the receiver rebuilt from its saved state.
  link.sender.disconnect();
  auto restored = Receiver::restore(key_from(2), saved, seeded_random(3));
  REQUIRE(restored.ok());
  link.receiver = std::move(restored).value();
  CHECK(link.receiver.have_map(0)->count() == 4);
  link.deliver_to_receiver(link.sender.connect(key_from(2)));
  link.pump();
  CHECK(link.sender.chunk_bytes_sent() == a.size());  // nothing was sent twice
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK((link.sink[0] == a));
  CHECK(commands_of<cmd::ReadBack>(link.log).size() == 4);  // re-hashed from the sink
}

TEST_CASE("rekey keeps what arrived and the transfer goes on under the new key") {
  const Bytes a = pseudo_random_bytes(10 * kChunk, 21);
  Link link = started({{"a", a}});
  link.pump(4);
  // A drop, then a fresh handshake: both sides continue under new keys.
  link.sender.disconnect();
  link.receiver.rekey(key_from(7));
  link.deliver_to_receiver(link.sender.connect(key_from(7)));
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK((link.sink[0] == a));
  CHECK(link.sender.chunk_bytes_sent() == a.size());       // nothing sent twice
  CHECK(commands_of<cmd::ReadBack>(link.log).empty());      // the hash went on, no re-reading
}

TEST_CASE("after rekey, frames under the old key are rejected") {
  const Bytes a = pseudo_random_bytes(4 * kChunk, 22);
  Link link = started({{"a", a}});
  link.pump(1);
  auto r = link.sender.next_read(0);
  REQUIRE(r);
  auto stale = link.sender.on_read(r->file_id, r->index, ByteView(a.data() + r->offset, r->length));
  REQUIRE(stale.ok());
  link.receiver.rekey(key_from(8));
  auto cmds = link.receiver.on_frame(parse_ok(stale->at(0)));
  CHECK_FALSE(wrote_anything(cmds));
  CHECK(commands_of<cmd::Failure>(cmds).at(0).error.code == "bad_mac");
}

TEST_CASE("a completed receiver confirms again when the sender missed it") {
  const Bytes a = pseudo_random_bytes(6 * kChunk, 14);
  Link link = started({{"a", a}});
  link.pump(5);
  link.to_sender_open = false;  // the COMPLETE is lost in a drop
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kAwaitingComplete);
  link.sender.disconnect();
  link.to_sender_open = true;
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK_FALSE(link.sender.next_read(0));
  CHECK(link.sender.chunk_bytes_sent() == a.size());
}

TEST_CASE("receiver persisted state round trips and rejects garbage") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 15);
  Link link = started({{"a", a}, {"b", Bytes{}}});
  link.pump(2);
  const Bytes saved = link.receiver.persist();
  auto back = Receiver::restore(key_from(1), saved, seeded_random(3));
  REQUIRE(back.ok());
  CHECK(back->persist() == saved);
  CHECK(*back->manifest() == *link.receiver.manifest());
  for (size_t n = 0; n < saved.size(); ++n) {
    auto cut = Receiver::restore(key_from(1), ByteView(saved.data(), n), seeded_random(3));
    CHECK_FALSE(cut.ok());
  }
  Bytes bad = saved;
  bad[0] = 99;
  CHECK_FALSE(Receiver::restore(key_from(1), bad, seeded_random(3)).ok());
}

TEST_CASE("a changed manifest on resume fails the transfer") {
  const Bytes a = pseudo_random_bytes(5 * kChunk, 16);
  Link link = started({{"a", a}});
  link.pump(2);
  // Whoever holds the key (the sender, after the file changed on its disk) sends another list
  // for the same transfer: refused, never mixed into the partial file.
  Manifest changed = *link.receiver.manifest();
  changed.files[0].size += 1;
  ControlSealer sealer(key_from(1), 7, protocol::Origin::kSender, 1000);
  auto cmds = link.receiver.on_frame(parse_ok(test::seal_one(sealer, {Epoch{}, changed}, seeded_random(4))));
  CHECK(link.receiver.state() == Receiver::State::kFailed);
  REQUIRE_FALSE(commands_of<cmd::Failure>(cmds).empty());
  CHECK(commands_of<cmd::Failure>(cmds).at(0).error.code == "manifest_changed");
  CHECK(commands_of<cmd::Failure>(cmds).at(0).fatal);
}

TEST_CASE("progress reports bytes per file and in total") {
  const Bytes a = pseudo_random_bytes(3 * kChunk + 10, 17);
  Link link = started({{"a", a}});
  link.pump(2);
  auto rp = link.receiver.progress();
  CHECK(rp.bytes_total == a.size());
  CHECK(rp.bytes_done == 2 * kChunk);
  CHECK(rp.files.at(0).state == FileState::kActive);
  CHECK(link.sender.progress().bytes_done == 2 * kChunk);
  link.pump();
  CHECK(link.receiver.progress().bytes_done == a.size());
  CHECK(link.receiver.progress().files.at(0).state == FileState::kComplete);
}

TEST_CASE("the receiver's progress is kept file by file, and a snapshot held stays as it was") {
  std::vector<std::pair<std::string, Bytes>> files;
  for (uint8_t i = 0; i < 40; ++i) {
    files.push_back({"f" + std::to_string(i), pseudo_random_bytes(kChunk * (i % 4) + 7, static_cast<uint8_t>(40 + i))});
  }
  Link link = started(files);
  uint64_t total = 0;
  for (const auto& [name, bytes] : files) total += bytes.size();
  std::shared_ptr<const TransferProgress> before = link.receiver.shared_progress();
  CHECK(before->bytes_done == 0);
  for (int step = 0; link.receiver.state() != Receiver::State::kComplete; ++step) {
    REQUIRE(step < 10000);
    link.pump(3);
    const auto now = link.receiver.shared_progress();
    // The totals always add up over the entries, whatever was touched since the last look.
    uint64_t done = 0;
    size_t complete = 0;
    std::set<uint32_t> completed;
    for (const auto& c : commands_of<cmd::FileComplete>(link.log)) completed.insert(c.file_id);
    for (const auto& f : now->files) {
      done += f.bytes_done;
      complete += f.state == FileState::kComplete ? 1 : 0;
      // Each entry agrees with what the receiver holds and said.
      CHECK(f.bytes_done == link.receiver.have_map(f.file_id)->bytes(f.size, kChunk));
      CHECK((f.state == FileState::kComplete) == (completed.count(f.file_id) == 1));
    }
    CHECK(now->bytes_done == done);
    CHECK(now->files_complete == complete);
    CHECK(now->bytes_total == total);
  }
  CHECK(before->bytes_done == 0);  // the held snapshot was copied, never changed
  CHECK(before->files_complete == 0);
  const auto& end = link.receiver.progress();
  CHECK(end.bytes_done == total);
  CHECK(end.files_complete == files.size());
  CHECK(end.files.at(39).name == "f39");
}

TEST_CASE("the sender keeps at most the configured reads in flight") {
  const Bytes a = pseudo_random_bytes(20 * kChunk, 18);
  Link link = started({{"a", a}});
  size_t n = 0;
  while (link.sender.next_read(0)) ++n;
  CHECK(n == kMaxReadsInFlight);
}

TEST_CASE("the sender stops reading when the channel is full") {
  const Bytes a = pseudo_random_bytes(20 * kChunk, 18);
  Link link = started({{"a", a}});
  CHECK_FALSE(link.sender.next_read(kHighWatermarkBytes));
  CHECK_FALSE(link.sender.next_read(kLowWatermarkBytes + 1));  // hysteresis: still blocked
  CHECK(link.sender.next_read(kLowWatermarkBytes));
}

TEST_CASE("a read of the wrong length fails the sender") {
  const Bytes a = pseudo_random_bytes(3 * kChunk, 19);
  Link link = started({{"a", a}});
  auto r = link.sender.next_read(0);
  auto res = link.sender.on_read(r->file_id, r->index, ByteView(a.data(), r->length - 1));
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == "bad_read");
  CHECK(link.sender.state() == Sender::State::kFailed);
}

TEST_CASE("sender names are sanitised before they leave") {
  Link link = Link::make({{"../secret[2J.txt", Bytes{1}}}, kChunk);
  CHECK(link.sender.manifest().files[0].name == ".._secret_[2J.txt");
}

TEST_CASE("sender refuses a transfer with too many chunks in total") {
  std::vector<SourceFile> files;
  for (int i = 0; i < 3; ++i) files.push_back({"huge" + std::to_string(i), uint64_t{kDefaultChunkBytes} * kMaxChunksPerFile, ""});
  auto s = Sender::create(key_from(1), 1, files, SenderOptions{}, seeded_random(1));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "bad_manifest");
  files.pop_back();
  CHECK(Sender::create(key_from(1), 1, files, SenderOptions{}, seeded_random(1)).ok());
}

TEST_CASE("sender refuses an empty file list and bad options") {
  CHECK_FALSE(Sender::create(key_from(1), 1, {}, SenderOptions{}, seeded_random(1)).ok());
  SenderOptions tiny;
  tiny.chunk_size = 100;
  CHECK_FALSE(Sender::create(key_from(1), 1, {{"a", 1, ""}}, tiny, seeded_random(1)).ok());
  SenderOptions inverted;
  inverted.low_watermark = inverted.high_watermark;
  CHECK_FALSE(Sender::create(key_from(1), 1, {{"a", 1, ""}}, inverted, seeded_random(1)).ok());
}

TEST_CASE("a receiver that survives a drop resumes without being rebuilt") {
  const Bytes a = pseudo_random_bytes(8 * kChunk, 20);
  Link link = started({{"a", a}});
  link.pump(3);
  link.sender.disconnect();
  CHECK(link.sender.state() == Sender::State::kDisconnected);
  CHECK_FALSE(link.sender.next_read(0));
  link.deliver_to_receiver(link.sender.connect(key_from(1)));  // same session key
  CHECK(link.sender_errors.empty());
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.chunk_bytes_sent() == a.size());
  CHECK((link.sink[0] == a));
}

TEST_CASE("a have-map from an earlier connection is rejected by the sender") {
  const Bytes a = pseudo_random_bytes(8 * kChunk, 21);
  Link link = started({{"a", a}});
  const Bytes old_have = link.to_sender.at(0);
  link.pump(3);
  link.reconnect_unheard(key_from(1));
  // The relay replays the first connection's HAVE (it claims nothing was received) instead
  // of delivering the new one.
  auto r = link.sender.on_frame(parse_ok(old_have));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "wrong_epoch");
  CHECK(link.sender.state() == Sender::State::kAwaitingHave);
  link.deliver_to_sender(link.to_sender.at(link.to_sender.size() - 3));  // the genuine HAVE
  CHECK(link.sender.state() == Sender::State::kAwaitingAccept);
  link.deliver_to_sender(link.to_sender.at(link.to_sender.size() - 2));  // its ACCEPT
  CHECK(link.sender.state() == Sender::State::kSending);
}

TEST_CASE("frames meant for the other role are refused") {
  const Bytes a = pseudo_random_bytes(2 * kChunk, 22);
  Link link = started({{"a", a}});
  auto r = link.sender.next_read(0);
  auto frames = link.sender.on_read(r->file_id, r->index, ByteView(a.data(), r->length));
  // A chunk or a sender-origin control handed to a sender, a receiver-origin one to a receiver.
  CHECK(link.sender.on_frame(parse_ok(frames->at(0))).error().code == "unexpected_frame");
  auto cmds = link.receiver.on_frame(parse_ok(link.to_sender.at(0)));
  CHECK(commands_of<cmd::Failure>(cmds).at(0).error.code == "unexpected_frame");
}
