// DataChannel frame codec: see frame.h for the layout. Never throws; every rejection names its
// cause so that a bad peer or a corrupted relay is reported precisely.
#include "protocol/frame.h"

#include <cassert>
#include <string>

namespace ferry::protocol {
namespace {

void put_payload(Bytes& out, const Bytes& payload) {
  assert(payload.size() >= kSealOverheadBytes && payload.size() <= kMaxPayloadBytes);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
}

// Checks the u32 length at `at` and the payload behind it, which must end the buffer exactly;
// returns the payload's length.
Result<uint32_t> check_payload(ByteView bytes, size_t at, size_t max = kMaxPayloadBytes) {
  const uint32_t len = get_u32(bytes.data() + at);
  if (len > max) {
    return make_error("oversize", "frame payload of " + std::to_string(len) +
                                      " bytes exceeds the limit of " + std::to_string(max));
  }
  if (len < kSealOverheadBytes) {
    return make_error("bad_length", "frame payload of " + std::to_string(len) +
                                        " bytes is too short to be sealed");
  }
  const size_t rest = bytes.size() - at - 4;
  if (rest < len) {
    return make_error("truncated", "frame payload is truncated: " + std::to_string(rest) +
                                       " of " + std::to_string(len) + " bytes");
  }
  if (rest > len) {
    return make_error("trailing_bytes",
                      std::to_string(rest - len) + " unexpected bytes after the frame payload");
  }
  return len;
}

Result<Bytes> take_payload(ByteView bytes, size_t at, size_t max = kMaxPayloadBytes) {
  auto len = check_payload(bytes, at, max);
  if (!len) return len.error();
  const auto* p = bytes.data() + at + 4;
  return Bytes(p, p + *len);
}

Status check_frame_start(ByteView bytes) {
  if (bytes.empty()) return make_error("empty", "empty frame");
  if (bytes.size() > kMaxFrameBytes) {
    return make_error("oversize", "frame of " + std::to_string(bytes.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxFrameBytes));
  }
  if (bytes[0] != kFrameVersion) {
    return make_error("bad_version", "unsupported frame version " + std::to_string(bytes[0]) +
                                         " (expected " + std::to_string(kFrameVersion) + ")");
  }
  if (bytes.size() < 2) return make_error("truncated", "frame ends before its type");
  return Ok{};
}

// The CHUNK header fields (everything but the payload), checked.
Result<ChunkView> chunk_header(ByteView bytes) {
  if (bytes.size() < kChunkHeaderBytes) {
    return make_error("truncated", "chunk frame header is truncated");
  }
  ChunkView f;
  f.transfer_id = get_u32(bytes.data() + 2);
  f.file_id = get_u32(bytes.data() + 6);
  f.index = get_u64(bytes.data() + 10);
  const uint8_t flags = bytes[18];
  if ((flags & ~kFlagLast) != 0) {
    return make_error("bad_flags", "chunk frame has unknown flag bits set");
  }
  f.last = (flags & kFlagLast) != 0;
  return f;
}

}  // namespace

Bytes encode(const ChunkFrame& frame) {
  assert(frame.payload.size() >= kSealOverheadBytes && frame.payload.size() <= kMaxPayloadBytes);
  Bytes out(kChunkHeaderBytes);
  put_chunk_header(out.data(), frame.transfer_id, frame.file_id, frame.index, frame.last,
                   static_cast<uint32_t>(frame.payload.size()));
  out.insert(out.end(), frame.payload.begin(), frame.payload.end());
  return out;
}

Bytes encode(const ControlFrame& frame) {
  Bytes out;
  out.reserve(kControlHeaderBytes + frame.payload.size());
  out.push_back(kFrameVersion);
  out.push_back(static_cast<uint8_t>(FrameType::kControl));
  put_u32(out, frame.transfer_id);
  out.push_back(static_cast<uint8_t>(frame.origin));
  put_u64(out, frame.seq);
  put_payload(out, frame.payload);
  return out;
}

Bytes encode(const Frame& frame) {
  return std::visit([](const auto& f) { return encode(f); }, frame);
}

Bytes encode(const MessageFrame& frame) {
  assert(frame.payload.size() <= kMaxMessagePayloadBytes);
  Bytes out;
  out.reserve(kMessageHeaderBytes + frame.payload.size());
  out.push_back(kFrameVersion);
  out.push_back(static_cast<uint8_t>(FrameType::kMessage));
  put_u64(out, frame.seq);
  put_payload(out, frame.payload);
  return out;
}

Result<MessageFrame> parse_message(ByteView bytes) {
  if (auto st = check_frame_start(bytes); !st) return st.error();
  if (bytes[1] != static_cast<uint8_t>(FrameType::kMessage)) {
    return make_error("unknown_type", "not a message frame");
  }
  if (bytes.size() < kMessageHeaderBytes) {
    return make_error("truncated", "message frame header is truncated");
  }
  MessageFrame f;
  f.seq = get_u64(bytes.data() + 2);
  auto payload = take_payload(bytes, kMessageHeaderBytes - 4, kMaxMessagePayloadBytes);
  if (!payload) return payload.error();
  f.payload = std::move(payload).value();
  return f;
}

Result<Frame> parse(ByteView bytes) {
  if (auto st = check_frame_start(bytes); !st) return st.error();
  const uint8_t type = bytes[1];
  if (type == static_cast<uint8_t>(FrameType::kChunk)) {
    auto h = chunk_header(bytes);
    if (!h) return h.error();
    auto payload = take_payload(bytes, kChunkHeaderBytes - 4);
    if (!payload) return payload.error();
    return Frame(ChunkFrame{h->transfer_id, h->file_id, h->index, h->last, std::move(payload).value()});
  }
  if (type == static_cast<uint8_t>(FrameType::kControl)) {
    if (bytes.size() < kControlHeaderBytes) {
      return make_error("truncated", "control frame header is truncated");
    }
    ControlFrame f;
    f.transfer_id = get_u32(bytes.data() + 2);
    const uint8_t origin = bytes[6];
    if (origin > static_cast<uint8_t>(Origin::kReceiver)) {
      return make_error("bad_origin", "control frame has unknown origin " + std::to_string(origin));
    }
    f.origin = static_cast<Origin>(origin);
    f.seq = get_u64(bytes.data() + 7);
    auto payload = take_payload(bytes, 15);
    if (!payload) return payload.error();
    f.payload = std::move(payload).value();
    return Frame(std::move(f));
  }
  return make_error("unknown_type", "unknown frame type " + std::to_string(type));
}

std::optional<FrameType> peek_type(ByteView bytes) {
  if (bytes.size() < 2 || bytes[0] != kFrameVersion) return std::nullopt;
  if (bytes[1] == static_cast<uint8_t>(FrameType::kChunk)) return FrameType::kChunk;
  if (bytes[1] == static_cast<uint8_t>(FrameType::kControl)) return FrameType::kControl;
  if (bytes[1] == static_cast<uint8_t>(FrameType::kMessage)) return FrameType::kMessage;
  return std::nullopt;
}

Result<ChunkView> parse_chunk(std::span<uint8_t> bytes) {
  if (auto st = check_frame_start(bytes); !st) return st.error();
  if (bytes[1] != static_cast<uint8_t>(FrameType::kChunk)) {
    return make_error("unknown_type", "not a chunk frame");
  }
  auto h = chunk_header(bytes);
  if (!h) return h.error();
  auto len = check_payload(bytes, kChunkHeaderBytes - 4);
  if (!len) return len.error();
  h->payload = bytes.subspan(kChunkHeaderBytes, *len);
  return h;
}

void put_chunk_header(uint8_t* out, uint32_t transfer_id, uint32_t file_id, uint64_t index,
                      bool last, uint32_t payload_len) {
  out[0] = kFrameVersion;
  out[1] = static_cast<uint8_t>(FrameType::kChunk);
  for (int i = 0; i < 4; ++i) out[2 + i] = static_cast<uint8_t>(transfer_id >> (8 * i));
  for (int i = 0; i < 4; ++i) out[6 + i] = static_cast<uint8_t>(file_id >> (8 * i));
  for (int i = 0; i < 8; ++i) out[10 + i] = static_cast<uint8_t>(index >> (8 * i));
  out[18] = last ? kFlagLast : 0;
  for (int i = 0; i < 4; ++i) out[19 + i] = static_cast<uint8_t>(payload_len >> (8 * i));
}

}  // namespace ferry::protocol
