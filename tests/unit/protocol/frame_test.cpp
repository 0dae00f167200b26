// DataChannel frame codec: round trips and a corpus of malformed frames, each rejected with
// its precise error code.
#include <catch2/catch.hpp>

#include <string>

#include "protocol/frame.h"

using namespace ferry;
using namespace ferry::protocol;

namespace {

Bytes payload_of(size_t n, uint8_t fill = 0xAB) { return Bytes(n, fill); }

ChunkFrame sample_chunk() {
  ChunkFrame f;
  f.transfer_id = 0x01020304;
  f.file_id = 7;
  f.index = 0x1122334455667788ull;
  f.last = true;
  f.payload = payload_of(kSealOverheadBytes + 10);
  return f;
}

ControlFrame sample_control() {
  ControlFrame f;
  f.transfer_id = 9;
  f.origin = Origin::kReceiver;
  f.seq = 42;
  f.payload = payload_of(kSealOverheadBytes + 3);
  return f;
}

std::string error_code(const Bytes& b) {
  auto r = parse(b);
  return r ? std::string("ok") : r.error().code;
}

}  // namespace

TEST_CASE("chunk frame round trips with its header fields") {
  const ChunkFrame f = sample_chunk();
  const Bytes wire = encode(f);
  REQUIRE(wire.size() == kChunkHeaderBytes + f.payload.size());
  CHECK(wire[0] == kFrameVersion);
  CHECK(wire[1] == static_cast<uint8_t>(FrameType::kChunk));
  auto parsed = parse(wire);
  REQUIRE(parsed.ok());
  REQUIRE(std::holds_alternative<ChunkFrame>(*parsed));
  CHECK(std::get<ChunkFrame>(*parsed) == f);
}

TEST_CASE("control frame round trips with its origin and sequence number") {
  const ControlFrame f = sample_control();
  const Bytes wire = encode(f);
  REQUIRE(wire.size() == kControlHeaderBytes + f.payload.size());
  auto parsed = parse(wire);
  REQUIRE(parsed.ok());
  REQUIRE(std::holds_alternative<ControlFrame>(*parsed));
  CHECK(std::get<ControlFrame>(*parsed) == f);
}

TEST_CASE("frame fields are little-endian at fixed offsets") {
  const Bytes wire = encode(sample_chunk());
  CHECK(wire[2] == 0x04);   // transfer_id low byte first
  CHECK(wire[6] == 7);      // file_id
  CHECK(wire[10] == 0x88);  // index low byte first
  CHECK(wire[18] == kFlagLast);
  CHECK(get_u32(wire.data() + 19) == kSealOverheadBytes + 10);
}

TEST_CASE("a frame at the size limit parses and one byte more is oversize") {
  ChunkFrame f = sample_chunk();
  f.payload = payload_of(kMaxPayloadBytes);
  Bytes wire = encode(f);
  CHECK(wire.size() == kMaxFrameBytes);
  CHECK(parse(wire).ok());
  wire.push_back(0);
  CHECK(error_code(wire) == "oversize");
}

TEST_CASE("every strict prefix of a valid frame is rejected as truncated") {
  for (const Bytes& wire : {encode(sample_chunk()), encode(sample_control())}) {
    CHECK(error_code(Bytes{}) == "empty");
    for (size_t n = 1; n < wire.size(); ++n) {
      Bytes prefix(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
      INFO("prefix length " << n);
      CHECK(error_code(prefix) == "truncated");
    }
  }
}

TEST_CASE("malformed frames are rejected with a precise error") {
  const Bytes chunk = encode(sample_chunk());
  const Bytes control = encode(sample_control());
  struct Case {
    const char* what;
    Bytes bytes;
    const char* code;
  };
  std::vector<Case> corpus;
  auto with = [](Bytes b, size_t at, uint8_t v) {
    b[at] = v;
    return b;
  };
  auto with_len = [](Bytes b, size_t at, uint32_t len) {
    b[at] = static_cast<uint8_t>(len);
    b[at + 1] = static_cast<uint8_t>(len >> 8);
    b[at + 2] = static_cast<uint8_t>(len >> 16);
    b[at + 3] = static_cast<uint8_t>(len >> 24);
    return b;
  };
  corpus.push_back({"version 0", with(chunk, 0, 0), "bad_version"});
  corpus.push_back({"version 2", with(chunk, 0, 2), "bad_version"});
  corpus.push_back({"version only, wrong", Bytes{0x7F}, "bad_version"});
  corpus.push_back({"version only", Bytes{kFrameVersion}, "truncated"});
  corpus.push_back({"type 0", with(chunk, 1, 0), "unknown_type"});
  corpus.push_back({"type 3", with(chunk, 1, 3), "unknown_type"});
  corpus.push_back({"type 255", with(control, 1, 255), "unknown_type"});
  corpus.push_back({"unknown flag bit", with(chunk, 18, 0x02), "bad_flags"});
  corpus.push_back({"all flag bits", with(chunk, 18, 0xFF), "bad_flags"});
  corpus.push_back({"origin 2", with(control, 6, 2), "bad_origin"});
  corpus.push_back({"chunk length past end", with_len(chunk, 19, kSealOverheadBytes + 11), "truncated"});
  corpus.push_back({"chunk length short of end", with_len(chunk, 19, kSealOverheadBytes + 9), "trailing_bytes"});
  corpus.push_back({"chunk length too small to be sealed", with_len(chunk, 19, 39), "bad_length"});
  corpus.push_back({"chunk length zero", with_len(chunk, 19, 0), "bad_length"});
  corpus.push_back({"chunk length huge", with_len(chunk, 19, 0xFFFFFFFF), "oversize"});
  corpus.push_back({"chunk length one over the limit", with_len(chunk, 19, kMaxPayloadBytes + 1), "oversize"});
  corpus.push_back({"control length past end", with_len(control, 15, 1000), "truncated"});
  corpus.push_back({"control length huge", with_len(control, 15, 0x80000000u), "oversize"});
  corpus.push_back({"control length short of end", with_len(control, 15, kSealOverheadBytes), "trailing_bytes"});
  Bytes trailing = chunk;
  trailing.push_back(0);
  corpus.push_back({"one trailing byte", trailing, "trailing_bytes"});
  Bytes doubled = control;
  doubled.insert(doubled.end(), control.begin(), control.end());
  corpus.push_back({"two frames glued", doubled, "trailing_bytes"});
  corpus.push_back({"header of a chunk only", Bytes(chunk.begin(), chunk.begin() + 23), "truncated"});
  corpus.push_back({"far too large", Bytes(kMaxFrameBytes + 100, kFrameVersion), "oversize"});
  for (const auto& c : corpus) {
    INFO(c.what);
    auto r = parse(c.bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK_FALSE(r.error().message.empty());
    // The data path's in-place parser rejects it too, for the same reason when it looks like
    // a chunk (or fails before the type).
    Bytes copy = c.bytes;
    auto v = parse_chunk(copy);
    REQUIRE_FALSE(v.ok());
    const bool chunk_like = c.bytes.size() < 2 || c.bytes[0] != kFrameVersion || c.bytes[1] == 1 ||
                            c.bytes.size() > kMaxFrameBytes;
    if (chunk_like) CHECK(v.error().code == c.code);
  }
}

TEST_CASE("a chunk parsed in place points into its own buffer with the same fields") {
  const ChunkFrame f = sample_chunk();
  Bytes wire = encode(f);
  auto v = parse_chunk(wire);
  REQUIRE(v.ok());
  CHECK(v->transfer_id == f.transfer_id);
  CHECK(v->file_id == f.file_id);
  CHECK(v->index == f.index);
  CHECK(v->last == f.last);
  CHECK(v->payload.data() == wire.data() + kChunkHeaderBytes);
  CHECK(Bytes(v->payload.begin(), v->payload.end()) == f.payload);
  CHECK(peek_type(wire) == FrameType::kChunk);
  Bytes control = encode(sample_control());
  CHECK(peek_type(control) == FrameType::kControl);
  CHECK_FALSE(parse_chunk(control).ok());
}

TEST_CASE("a chunk header written in place matches the encoder's") {
  const ChunkFrame f = sample_chunk();
  const Bytes wire = encode(f);
  Bytes header(kChunkHeaderBytes);
  put_chunk_header(header.data(), f.transfer_id, f.file_id, f.index, f.last,
                   static_cast<uint32_t>(f.payload.size()));
  CHECK(header == Bytes(wire.begin(), wire.begin() + kChunkHeaderBytes));
}

TEST_CASE("encoding a parsed frame gives back the same bytes") {
  for (const Bytes& wire : {encode(sample_chunk()), encode(sample_control())}) {
    auto parsed = parse(wire);
    REQUIRE(parsed.ok());
    CHECK(encode(*parsed) == wire);
  }
}

TEST_CASE("a message frame round-trips, is told apart by its type, and is no transfer frame") {
  MessageFrame f;
  f.seq = 0x0102030405060708ull;
  f.payload.assign(kSealOverheadBytes + 9, 0xAB);
  const Bytes wire = encode(f);
  CHECK(wire.size() == kMessageHeaderBytes + f.payload.size());
  CHECK(peek_type(wire) == FrameType::kMessage);
  auto back = parse_message(wire);
  REQUIRE(back.ok());
  CHECK(*back == f);
  // The transfer parsers refuse it, and the message parser refuses theirs.
  CHECK(parse(wire).error().code == "unknown_type");
  CHECK(parse_message(encode(sample_control())).error().code == "unknown_type");
}

TEST_CASE("malformed message frames are refused with a precise cause") {
  MessageFrame f;
  f.seq = 1;
  f.payload.assign(kSealOverheadBytes, 1);
  const Bytes wire = encode(f);
  CHECK(parse_message(Bytes(wire.begin(), wire.begin() + 9)).error().code == "truncated");
  Bytes longer = wire;
  longer.push_back(0);
  CHECK(parse_message(longer).error().code == "trailing_bytes");
  Bytes short_payload = wire;
  short_payload.resize(kMessageHeaderBytes + 4);
  for (int i = 0; i < 4; ++i) short_payload[10 + i] = i == 0 ? 4 : 0;
  CHECK(parse_message(short_payload).error().code == "bad_length");
  Bytes oversize = wire;
  const uint32_t too_long = static_cast<uint32_t>(kMaxMessagePayloadBytes + 1);
  for (int i = 0; i < 4; ++i) oversize[10 + i] = static_cast<uint8_t>(too_long >> (8 * i));
  CHECK(parse_message(oversize).error().code == "oversize");
  Bytes version = wire;
  version[0] = 2;
  CHECK(parse_message(version).error().code == "bad_version");
}
