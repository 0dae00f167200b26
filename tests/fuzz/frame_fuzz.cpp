// libFuzzer harness for the DataChannel frame parser (network input from the peer or a relay).
// Every input must either be rejected or parse to a frame that re-encodes to exactly the same
// bytes: the format has one encoding per frame, so any difference is a parser bug. The in-place
// CHUNK parser (the data path's) must agree with parse() on every input. MESSAGE frames
// (parse_message) obey the same rule: rejected, or re-encoded to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "protocol/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ferry::ByteView input(data, size);
  auto parsed = ferry::protocol::parse(input);
  ferry::Bytes copy(data, data + size);
  auto in_place = ferry::protocol::parse_chunk(copy);
  const auto* chunk = parsed.ok() ? std::get_if<ferry::protocol::ChunkFrame>(&*parsed) : nullptr;
  if (in_place.ok() != (chunk != nullptr)) abort();
  if (chunk != nullptr) {
    const auto& v = *in_place;
    if (v.transfer_id != chunk->transfer_id || v.file_id != chunk->file_id || v.index != chunk->index ||
        v.last != chunk->last || v.payload.size() != chunk->payload.size() ||
        std::memcmp(v.payload.data(), chunk->payload.data(), v.payload.size()) != 0) {
      abort();
    }
  } else if (!parsed.ok()) {
    // An input that is a chunk by its type, or fails before the type, is rejected for the
    // same reason by both parsers (other types: parse_chunk says "unknown_type").
    const bool chunk_like = size < 2 || data[0] != ferry::protocol::kFrameVersion || data[1] == 1 ||
                            size > ferry::protocol::kMaxFrameBytes;
    if (chunk_like && in_place.error().code != parsed.error().code) abort();
  }
  if (ferry::protocol::peek_type(input).has_value() != (size >= 2 && data[0] == ferry::protocol::kFrameVersion &&
                                                        (data[1] == 1 || data[1] == 2 || data[1] == 3))) {
    abort();
  }
  auto message = ferry::protocol::parse_message(input);
  if (message.ok()) {
    if (parsed.ok()) abort();  // a frame is a transfer frame or a message, never both
    const ferry::Bytes again = ferry::protocol::encode(*message);
    if (again.size() != size || std::memcmp(again.data(), data, size) != 0) abort();
  } else if (message.error().code.empty()) {
    abort();
  }
  if (!parsed.ok()) {
    if (parsed.error().code.empty()) abort();  // every rejection must name its cause
    return 0;
  }
  const ferry::Bytes again = ferry::protocol::encode(*parsed);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) abort();
  auto reparsed = ferry::protocol::parse(again);
  if (!reparsed.ok() || !(*reparsed == *parsed)) abort();
  return 0;
}
