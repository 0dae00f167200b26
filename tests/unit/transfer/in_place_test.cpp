// The data path's forms: the sender seals each CHUNK into its reused frame buffer
// (Sender::on_read with a FrameOut) and the receiver opens it where it lies
// (Receiver::on_chunk_in_place), writing views into that buffer.
#include <catch2/catch.hpp>

#include "test_support.h"

using namespace ferry;
using namespace ferry::transfer;
using namespace ferry::transfer::test;

namespace {

constexpr uint32_t kChunk = 1024;

// Sends every chunk through the in-place forms; control frames go the owning way.
void pump_in_place(Link& link, std::vector<ByteView>* sender_views = nullptr) {
  while (auto r = link.sender.next_read(0)) {
    const Bytes& file = link.source[r->file_id];
    std::vector<Bytes> frames;
    auto st = link.sender.on_read(r->file_id, r->index, ByteView(file.data() + r->offset, r->length),
                                  [&](ByteView f) {
                                    if (sender_views) sender_views->push_back(f);
                                    frames.emplace_back(f.begin(), f.end());
                                  });
    REQUIRE(st.ok());
    for (auto& f : frames) {
      if (protocol::peek_type(f) != protocol::FrameType::kChunk) {
        link.deliver_to_receiver(f);
        continue;
      }
      auto view = protocol::parse_chunk(f);
      REQUIRE(view.ok());
      auto cmds = link.receiver.on_chunk_in_place(*view);
      for (auto& c : cmds) {
        if (auto* w = std::get_if<cmd::WriteInPlace>(&c)) {
          // The view lies inside the frame's own buffer, right after its header and nonce.
          CHECK(w->bytes.data() == f.data() + protocol::kChunkHeaderBytes + crypto::kChunkNonceBytes);
          c = cmd::Write{w->file_id, w->offset, Bytes(w->bytes.begin(), w->bytes.end())};
        }
      }
      link.run(std::move(cmds));
    }
  }
}

}  // namespace

TEST_CASE("chunks sealed into the reused buffer and opened in place complete a transfer") {
  const Bytes a = pseudo_random_bytes(kChunk * 5 + 17, 11);
  const Bytes b = pseudo_random_bytes(kChunk, 12);
  Link link = Link::make({{"a.bin", a}, {"b.bin", b}}, kChunk);
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  std::vector<ByteView> views;
  pump_in_place(link, &views);
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK((link.sink[0] == a));
  CHECK((link.sink[1] == b));
  // Every CHUNK was handed out from the same buffer (no allocation per chunk).
  const uint8_t* first_chunk = nullptr;
  size_t chunks = 0;
  for (const auto& v : views) {
    if (protocol::peek_type(v) != protocol::FrameType::kChunk) continue;
    if (first_chunk == nullptr) first_chunk = v.data();
    CHECK(v.data() == first_chunk);
    ++chunks;
  }
  CHECK(chunks == 7);
}

TEST_CASE("a chunk altered on the way fails in place and nothing is written") {
  const Bytes a = pseudo_random_bytes(kChunk * 2, 13);
  Link link = Link::make({{"a.bin", a}}, kChunk);
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  auto r = link.sender.next_read(0);
  REQUIRE(r);
  Bytes frame;
  REQUIRE(link.sender.on_read(r->file_id, r->index, ByteView(a.data(), r->length),
                              [&](ByteView f) { frame.assign(f.begin(), f.end()); })
              .ok());
  frame[protocol::kChunkHeaderBytes + 30] ^= 1;
  auto view = protocol::parse_chunk(frame);
  REQUIRE(view.ok());
  auto cmds = link.receiver.on_chunk_in_place(*view);
  CHECK(commands_of<cmd::WriteInPlace>(cmds).empty());
  auto failures = commands_of<cmd::Failure>(cmds);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].error.code == "bad_mac");
  CHECK_FALSE(failures[0].fatal);
  CHECK(link.receiver.progress().bytes_done == 0);
}
