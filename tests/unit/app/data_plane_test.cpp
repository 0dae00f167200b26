// app::DataPlane on its own: two data planes joined by a direct in-order path, with the bulk
// (CHUNK frames and chunk writes) going through a DataIo as views, the way the browser runs it.
#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <map>

#include "app/data_plane.h"

using namespace ferry;
using namespace ferry::app;

namespace {

crypto::SecretKey key_of(uint8_t seed) {
  uint8_t k[crypto::kKeyBytes];
  for (size_t i = 0; i < sizeof k; ++i) k[i] = static_cast<uint8_t>(seed * 17 + i);
  return crypto::SecretKey(k);
}

RandomFn counter_rng(uint32_t seed) {
  return [n = seed](uint8_t* out, size_t len) mutable {
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(++n * 2654435761u >> 24);
  };
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + seed + (i >> 9));
  return b;
}

// One side: its data plane, what it was asked to do, and its I/O.
struct Side : DataIo {
  std::deque<Command> commands;
  std::vector<std::string> log;
  DataPlane plane;
  std::deque<Bytes> outbox;                    // frames for the other side
  std::map<std::pair<uint32_t, uint32_t>, Bytes> disk;  // (transfer, file) -> bytes written
  std::map<int, Bytes> files;                  // handle -> file to send
  size_t frames_sent_through_io = 0;
  size_t writes_through_io = 0;
  std::vector<const uint8_t*> frame_buffers;   // where each CHUNK view pointed

  explicit Side(uint32_t seed)
      : plane(counter_rng(seed), 4096, [this](Command c) { commands.push_back(std::move(c)); },
              [this](std::string t) { log.push_back(std::move(t)); }, [this] { return !commands.empty(); }) {}

  void send_frame(ByteView frame, bool via_server) override {
    CHECK_FALSE(via_server);
    ++frames_sent_through_io;
    if (protocol::peek_type(frame) == protocol::FrameType::kChunk) frame_buffers.push_back(frame.data());
    outbox.emplace_back(frame.begin(), frame.end());
  }
  void write(uint32_t transfer_id, uint32_t file_id, uint64_t offset, ByteView bytes) override {
    ++writes_through_io;
    Bytes& f = disk[{transfer_id, file_id}];
    const size_t end = static_cast<size_t>(offset) + bytes.size();
    if (f.size() < end) f.resize(end);
    std::copy(bytes.begin(), bytes.end(), f.begin() + static_cast<std::ptrdiff_t>(offset));
  }

  // Carries out the commands a platform would (reads from `files`, read-backs from `disk`),
  // taking the whole queue first as the browser client does.
  void run_commands() {
    while (!commands.empty()) {
      std::deque<Command> batch;
      batch.swap(commands);
      for (auto& c : batch) {
        if (auto* r = std::get_if<cmd::ReadFile>(&c)) {
          const Bytes& f = files.at(plane.file_handle(r->transfer_id, r->file_id));
          plane.on_file_read(r->transfer_id, r->file_id, r->index, ByteView(f.data() + r->offset, r->length));
        } else if (auto* rb = std::get_if<cmd::ReadSink>(&c)) {
          const Bytes& f = disk[{rb->transfer_id, rb->file_id}];
          plane.on_sink_read(rb->transfer_id, rb->file_id, rb->index, ByteView(f.data() + rb->offset, rb->length));
        } else if (auto* sf = std::get_if<cmd::SendFrame>(&c)) {
          // Queued behind an earlier command: carried out in order.
          outbox.push_back(sf->frame);
          ++frames_queued;
        } else if (auto* w = std::get_if<cmd::WriteSink>(&c)) {
          write(w->transfer_id, w->file_id, w->offset, w->bytes);
          --writes_through_io;
          ++writes_queued;
        }
      }
    }
  }
  size_t frames_queued = 0;
  size_t writes_queued = 0;
};

// observe: sees B's commands of each round before they are carried out.
void run(Side& a, Side& b, const std::function<void(const std::deque<Command>&)>& observe = nullptr) {
  for (int round = 0; round < 100000; ++round) {
    a.plane.pump(0);
    b.plane.pump(0);
    a.run_commands();
    if (observe) observe(b.commands);
    b.run_commands();
    if (a.outbox.empty() && b.outbox.empty() && a.commands.empty() && b.commands.empty()) return;
    for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      while (!from->outbox.empty()) {
        Bytes f = std::move(from->outbox.front());
        from->outbox.pop_front();
        to->plane.on_frame_in_place(f);  // the receive arena: consumed in place
      }
    }
  }
  FAIL("the transfer did not settle");
}

void connect(Side& a, Side& b) {
  a.plane.set_io(&a);
  b.plane.set_io(&b);
  a.plane.set_storage_prefix("room-");
  b.plane.set_storage_prefix("room-");
  a.plane.set_keys(key_of(1), key_of(2));
  b.plane.set_keys(key_of(2), key_of(1));
  a.plane.set_accept_all(true);  // the person accepts every offer at once
  b.plane.set_accept_all(true);
  a.plane.open(0, false);
  b.plane.open(0, false);
}

}  // namespace

TEST_CASE("a data plane delivers files through its DataIo as views, and completes") {
  Side a(1), b(2);
  connect(a, b);
  const Bytes one = pattern(4096 * 9 + 5, 1);
  const Bytes two = pattern(100, 2);
  a.files[10] = one;
  a.files[11] = two;
  a.plane.send_files({{"one.bin", one.size(), ""}, {"two.txt", two.size(), "text/plain"}}, {10, 11});
  run(a, b);
  const auto ta = a.plane.transfers();
  const auto tb = b.plane.transfers();
  REQUIRE(ta.size() == 1);
  REQUIRE(tb.size() == 1);
  CHECK(ta[0].state == TransferState::kComplete);
  CHECK(tb[0].state == TransferState::kComplete);
  CHECK(b.disk[{tb[0].id, 0}] == one);
  CHECK(b.disk[{tb[0].id, 1}] == two);
  // Chunks go straight through the DataIo unless a command waits before them.
  CHECK(b.writes_through_io + b.writes_queued == 11);
  CHECK(b.writes_through_io > 0);
  REQUIRE_FALSE(a.frame_buffers.empty());
  // Every CHUNK that went straight out left the sender from one reused buffer.
  for (const auto* p : a.frame_buffers) CHECK(p == a.frame_buffers.front());
}

TEST_CASE("a frame made while a command waits queues behind it") {
  Side a(8);
  a.plane.set_io(&a);
  a.plane.set_keys(key_of(1), key_of(2));
  a.commands.push_back(cmd::SendServer{"the relay switch"});
  a.plane.open(0, true);
  a.files[1] = pattern(10, 3);
  a.plane.send_files({{"x", 10, ""}}, {1});
  CHECK(a.frames_sent_through_io == 0);
  REQUIRE(a.commands.size() == 2);
  CHECK(std::holds_alternative<cmd::SendServer>(a.commands[0]));
  CHECK(std::holds_alternative<cmd::SendFrame>(a.commands[1]));  // the MANIFEST, after it
}

TEST_CASE("without a DataIo, frames and writes become commands") {
  Side a(3);
  a.plane.set_keys(key_of(1), key_of(2));
  a.plane.open(0, true);
  a.files[1] = pattern(10, 3);
  a.plane.send_files({{"x", 10, ""}}, {1});
  REQUIRE_FALSE(a.commands.empty());
  const auto* f = std::get_if<cmd::SendFrame>(&a.commands.front());
  REQUIRE(f != nullptr);  // the MANIFEST
  CHECK(f->via_server);
  CHECK(a.frames_sent_through_io == 0);
}

TEST_CASE("a chunk of no known transfer allocates nothing and is logged once per many") {
  Side a(4), b(5);
  connect(a, b);
  const Bytes file = pattern(4096 * 2, 4);
  a.files[1] = file;
  a.plane.send_files({{"x", file.size(), ""}}, {1});
  a.run_commands();
  // Drop the MANIFEST: B never opened the transfer.
  REQUIRE(a.outbox.size() == 1);
  a.outbox.clear();
  Bytes chunk(protocol::kChunkHeaderBytes + crypto::sealed_chunk_size(4096));
  protocol::put_chunk_header(chunk.data(), 77, 0, 0, false, static_cast<uint32_t>(crypto::sealed_chunk_size(4096)));
  for (int i = 0; i < 5; ++i) {
    Bytes copy = chunk;
    b.plane.on_frame_in_place(copy);
  }
  CHECK(b.plane.transfers().empty());
  CHECK(b.writes_through_io == 0);
  CHECK(b.log.size() == 1);
}

TEST_CASE("a closed path sends nothing and receives nothing") {
  Side a(6), b(7);
  connect(a, b);
  b.plane.close();
  a.files[1] = pattern(5000, 5);
  a.plane.send_files({{"x", 5000, ""}}, {1});
  a.run_commands();
  while (!a.outbox.empty()) {
    Bytes f = std::move(a.outbox.front());
    a.outbox.pop_front();
    b.plane.on_frame_in_place(f);
  }
  CHECK(b.plane.transfers().empty());
  a.plane.close();
  a.plane.pump(0);
  CHECK(a.commands.empty());
}

TEST_CASE("each file of a transfer has its own speed, and only while it moves") {
  Side a(1), b(2);
  connect(a, b);
  const Bytes one = pattern(4096 * 40, 3);
  const Bytes two = pattern(4096 * 40, 4);
  a.files[10] = one;
  a.files[11] = two;
  a.plane.send_files({{"one.bin", one.size(), ""}, {"two.bin", two.size(), ""}}, {10, 11});
  // Deliver a few rounds at a time, sampling speeds in between (1 s of "time" per round).
  double now = 0;
  bool saw_first_moving = false;
  for (int round = 0; round < 400; ++round) {
    a.plane.pump(0);
    a.run_commands();
    b.run_commands();
    for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      for (int n = 0; n < 4 && !from->outbox.empty(); ++n) {
        Bytes f = std::move(from->outbox.front());
        from->outbox.pop_front();
        to->plane.on_frame_in_place(f);
      }
    }
    now += 1000;
    a.plane.tick(now);
    b.plane.tick(now);
    const auto tb = b.plane.transfers();
    if (tb.empty()) continue;
    REQUIRE(tb[0].file_bytes_per_second.size() == 2);
    const auto& files = tb[0].progress->files;
    if (files[0].state == transfer::FileState::kActive && files[1].state == transfer::FileState::kPending) {
      CHECK(tb[0].file_bytes_per_second[1] == 0);
      saw_first_moving = saw_first_moving || tb[0].file_bytes_per_second[0] > 0;
    }
  }
  CHECK(saw_first_moving);
  const auto tb = b.plane.transfers();
  REQUIRE(tb.size() == 1);
  CHECK(tb[0].state == TransferState::kComplete);
  for (double s : tb[0].file_bytes_per_second) CHECK(s == 0);  // nothing moves any more
}

TEST_CASE("a folder of 3,000 files arrives as one transfer: its manifest in parts forms one receiver") {
  Side a(11), b(12);
  connect(a, b);
  std::vector<transfer::SourceFile> list;
  std::vector<int> handles;
  for (int i = 0; i < 3000; ++i) {
    a.files[100 + i] = pattern(static_cast<size_t>(i % 5), static_cast<uint8_t>(i));
    list.push_back({"file " + std::to_string(i) + ".txt", static_cast<uint64_t>(i % 5), "text/plain",
                    "Library/day " + std::to_string(i / 100)});
    handles.push_back(100 + i);
  }
  a.plane.send_files(std::move(list), std::move(handles), {"Library/empty"});
  run(a, b);
  const auto tb = b.plane.transfers();
  REQUIRE(tb.size() == 1);
  CHECK(tb[0].state == TransferState::kComplete);
  REQUIRE(tb[0].progress->files.size() == 3000);
  CHECK(tb[0].progress->files[2999].dir == "Library/day 29");
  CHECK(tb[0].progress->empty_dirs == std::vector<std::string>{"Library/empty"});
  CHECK(a.plane.transfers().at(0).state == TransferState::kComplete);
  CHECK(b.disk[{tb[0].id, 2999}] == pattern(4, static_cast<uint8_t>(2999)));
}

TEST_CASE("a folder of many small files saves its state a few dozen times, not once per file") {
  Side a(13), b(14);
  connect(a, b);
  std::vector<transfer::SourceFile> list;
  std::vector<int> handles;
  for (int i = 0; i < 1280; ++i) {
    a.files[100 + i] = pattern(3, static_cast<uint8_t>(i));
    list.push_back({"f" + std::to_string(i), 3, "", "many"});
    handles.push_back(100 + i);
  }
  a.plane.send_files(std::move(list), std::move(handles));
  size_t saves = 0;
  run(a, b, [&saves](const std::deque<Command>& cmds) {
    for (const auto& c : cmds) saves += std::holds_alternative<cmd::SaveState>(c) ? 1 : 0;
  });
  REQUIRE(b.plane.transfers().at(0).state == TransferState::kComplete);
  // One at accept, then one per 1280 / 64 = 20 files completed: about 65, never 1280.
  CHECK(saves >= 2);
  CHECK(saves <= 1 + kPersistFileSteps + 2);
}

TEST_CASE("parts of many control messages interleaved hold at most kMaxAssemblingBytes in all") {
  // Three offers of manifests near 4 MiB each, waiting for the person's answer on B. A
  // reconnects and sends the three again; the peer (authenticated, but hostile: it orders its
  // frames as it likes) interleaves their parts and holds back each last one. Each opener alone
  // is within its 4 MiB; together they would hold 11 MB.
  Side a(21), b(22);
  connect(a, b);
  b.plane.set_accept_all(false);
  const std::string deep = [] {
    std::string d;
    for (int i = 0; i < 30; ++i) d += std::string(99, static_cast<char>('a' + i % 26)) + "/";
    return d;
  }();
  for (int t = 0; t < 3; ++t) {
    std::vector<transfer::SourceFile> list;
    std::vector<int> handles;
    for (int i = 0; i < 1200; ++i) {
      const int h = 1000 * (t + 1) + i;
      a.files[h] = Bytes{};
      list.push_back({"f" + std::to_string(i), 0, "", deep + std::to_string(i)});
      handles.push_back(h);
    }
    a.plane.send_files(std::move(list), std::move(handles));
  }
  run(a, b);
  REQUIRE(b.plane.transfers().size() == 3);

  a.plane.close();
  b.plane.close();
  a.plane.open(0, false);
  b.plane.open(0, false);
  a.run_commands();
  std::map<uint32_t, std::vector<Bytes>> parts;  // transfer id -> its frames, in order
  for (auto& f : a.outbox) {
    auto frame = protocol::parse(f);
    REQUIRE(frame);
    parts[std::visit([](const auto& x) { return x.transfer_id; }, *frame)].push_back(f);
  }
  a.outbox.clear();
  REQUIRE(parts.size() == 3);
  size_t peak = 0;
  for (auto& [id, frames] : parts) {
    REQUIRE(frames.size() > 40);  // ~3.7 MB in 60 KiB parts
    for (size_t i = 0; i + 1 < frames.size(); ++i) {
      b.plane.on_frame_in_place(frames[i]);
      peak = std::max(peak, b.plane.assembling_bytes());
    }
  }
  CHECK(peak <= kMaxAssemblingBytes);
  CHECK(peak > transfer::kMaxControlMessageBytes / 2);  // the first ones did assemble
  CHECK(std::count(b.log.begin(), b.log.end(), "Dropped a control message in parts: too many at once") >= 1);
  for (auto& [id, frames] : parts) b.plane.on_frame_in_place(frames.back());
  CHECK(b.plane.assembling_bytes() == 0);
  CHECK(b.plane.transfers().size() == 3);  // nothing else was lost: the offers still wait
}
