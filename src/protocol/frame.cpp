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

// Reads the u32 length at `at` and the payload behind it, which must end the buffer exactly.
Result<Bytes> take_payload(ByteView bytes, size_t at) {
  const uint32_t len = get_u32(bytes.data() + at);
  if (len > kMaxPayloadBytes) {
    return make_error("oversize", "frame payload of " + std::to_string(len) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxPayloadBytes));
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
  const auto* p = bytes.data() + at + 4;
  return Bytes(p, p + len);
}

}  // namespace

Bytes encode(const ChunkFrame& frame) {
  Bytes out;
  out.reserve(kChunkHeaderBytes + frame.payload.size());
  out.push_back(kFrameVersion);
  out.push_back(static_cast<uint8_t>(FrameType::kChunk));
  put_u32(out, frame.transfer_id);
  put_u32(out, frame.file_id);
  put_u64(out, frame.index);
  out.push_back(frame.last ? kFlagLast : 0);
  put_payload(out, frame.payload);
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

Result<Frame> parse(ByteView bytes) {
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
  const uint8_t type = bytes[1];
  if (type == static_cast<uint8_t>(FrameType::kChunk)) {
    if (bytes.size() < kChunkHeaderBytes) {
      return make_error("truncated", "chunk frame header is truncated");
    }
    ChunkFrame f;
    f.transfer_id = get_u32(bytes.data() + 2);
    f.file_id = get_u32(bytes.data() + 6);
    f.index = get_u64(bytes.data() + 10);
    const uint8_t flags = bytes[18];
    if ((flags & ~kFlagLast) != 0) {
      return make_error("bad_flags", "chunk frame has unknown flag bits set");
    }
    f.last = (flags & kFlagLast) != 0;
    auto payload = take_payload(bytes, 19);
    if (!payload) return payload.error();
    f.payload = std::move(payload).value();
    return Frame(std::move(f));
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

}  // namespace ferry::protocol
