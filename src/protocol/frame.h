// Binary DataChannel frames: the only thing Ferry sends on a DataChannel.
//
// Every frame is versioned, little-endian and carries explicit lengths; `parse` accepts exactly
// one well-formed frame and rejects everything else with a precise error code. Payloads are
// opaque here (sealed by the transfer layer): this file knows framing, not cryptography.
//
//   CHUNK   (type 1)  one sealed piece of a file, always sent by the transfer's sender
//   +-----+------+-------------+---------+----------+-------+-------------+-----------------+
//   | ver | type | transfer_id | file_id | index    | flags | payload_len | payload         |
//   | u8  | u8=1 | u32         | u32     | u64      | u8    | u32         | sealed chunk    |
//   +-----+------+-------------+---------+----------+-------+-------------+-----------------+
//   flags: bit 0 = last chunk of the file; every other bit must be zero.
//
//   CONTROL (type 2)  one sealed control message (manifest, file_end, have-map, pause, ...)
//   +-----+------+-------------+--------+----------+-------------+---------------------------+
//   | ver | type | transfer_id | origin | seq      | payload_len | payload                   |
//   | u8  | u8=2 | u32         | u8     | u64      | u32         | sealed control message    |
//   +-----+------+-------------+--------+----------+-------------+---------------------------+
//   origin: 0 = written by the transfer's sender, 1 = written by the transfer's receiver.
//
//   MESSAGE (type 3)  one sealed text message of the session (app/messages.h), either way
//   +-----+------+----------+-------------+-------------------------------------------------+
//   | ver | type | seq      | payload_len | payload                                         |
//   | u8  | u8=3 | u64      | u32         | sealed: kind (u8) || UTF-8 text                 |
//   +-----+------+----------+-------------+-------------------------------------------------+
//   seq: strictly increasing per direction and key; the reader rejects replays. MESSAGE frames
//   belong to no transfer: parse() (the transfer frames) refuses them as "unknown_type", and
//   parse_message() reads them; peek_type() tells them apart.
//
// Both peers may send a transfer at the same time, each numbering its own transfers. A frame is
// therefore unambiguous by (type, origin): a CHUNK or a CONTROL with origin 0 concerns a transfer
// that the *frame's writer* sends (route it to the local receiver of that id); a CONTROL with
// origin 1 concerns a transfer that the *frame's reader* sends (route it to the local sender).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "util/bytes.h"
#include "util/result.h"

namespace ferry::protocol {

// The first byte of every frame. Bumped on any incompatible change to the layout.
constexpr uint8_t kFrameVersion = 1;

enum class FrameType : uint8_t { kChunk = 1, kControl = 2, kMessage = 3 };
enum class Origin : uint8_t { kSender = 0, kReceiver = 1 };

// Fixed header sizes in bytes, from the layouts above (payload_len included).
constexpr size_t kChunkHeaderBytes = 1 + 1 + 4 + 4 + 8 + 1 + 4;  // 23
constexpr size_t kControlHeaderBytes = 1 + 1 + 4 + 1 + 8 + 4;    // 19
constexpr size_t kMessageHeaderBytes = 1 + 1 + 8 + 4;            // 14

// Largest plaintext chunk a sender may choose: 1 MiB. Chromium caps a DataChannel message at
// 256 KiB and Firefox at 1 GiB; 1 MiB leaves room to measure larger chunks without letting a peer
// make us allocate without bound.
constexpr size_t kMaxChunkPlaintextBytes = 1024 * 1024;
// A sealed payload adds the XChaCha20-Poly1305 nonce (24) and tag (16); the transfer layer
// static_asserts that this matches crypto::sealed_chunk_size.
constexpr size_t kSealOverheadBytes = 24 + 16;
// Largest payload of any frame (a sealed 1 MiB chunk, or a sealed control message such as a
// large manifest): anything longer is rejected before we allocate it.
constexpr size_t kMaxPayloadBytes = kMaxChunkPlaintextBytes + kSealOverheadBytes;
// Largest frame on the wire: the larger header plus the largest payload.
constexpr size_t kMaxFrameBytes = kChunkHeaderBytes + kMaxPayloadBytes;
// Longest text of one MESSAGE, in UTF-8 bytes: 64 KiB, what people paste (a link, a note, a
// page of text); longer text goes as a file. A whole MESSAGE frame (header, kind byte, seal)
// then stays far below a DataChannel's 256 KiB and the relay's limit.
constexpr size_t kMaxMessageTextBytes = 64 * 1024;
// Largest MESSAGE payload: the kind byte and the text, sealed. Longer is refused before a copy.
constexpr size_t kMaxMessagePayloadBytes = kSealOverheadBytes + 1 + kMaxMessageTextBytes;
// Flag bits of a CHUNK frame.
constexpr uint8_t kFlagLast = 0x01;

struct ChunkFrame {
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
  uint64_t index = 0;
  bool last = false;
  Bytes payload;  // nonce || ciphertext || tag, at least kSealOverheadBytes long
  bool operator==(const ChunkFrame&) const = default;
};

struct ControlFrame {
  uint32_t transfer_id = 0;
  Origin origin = Origin::kSender;
  uint64_t seq = 0;  // strictly increasing per (transfer, origin): the receiver rejects replays
  Bytes payload;     // sealed control message, at least kSealOverheadBytes long
  bool operator==(const ControlFrame&) const = default;
};

using Frame = std::variant<ChunkFrame, ControlFrame>;

struct MessageFrame {
  uint64_t seq = 0;  // strictly increasing per direction: the reader rejects replays
  Bytes payload;     // sealed message, kSealOverheadBytes to kMaxMessagePayloadBytes long
  bool operator==(const MessageFrame&) const = default;
};

// A CHUNK frame parsed in place: the payload is a view into the caller's buffer, which the
// receiver decrypts in place (no copy, no allocation per chunk on the data path).
struct ChunkView {
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
  uint64_t index = 0;
  bool last = false;
  std::span<uint8_t> payload;  // nonce || ciphertext || tag, inside the caller's buffer
};

// Serialises a frame. A payload shorter than kSealOverheadBytes or longer than kMaxPayloadBytes
// is a programmer error (asserted): the transfer layer only ever frames what it sealed.
Bytes encode(const ChunkFrame& frame);
Bytes encode(const ControlFrame& frame);
Bytes encode(const Frame& frame);
// A payload outside [kSealOverheadBytes, kMaxMessagePayloadBytes] is a programmer error.
Bytes encode(const MessageFrame& frame);

// Parses exactly one frame. Error codes: "empty", "truncated", "bad_version", "unknown_type",
// "oversize", "bad_length", "bad_flags", "bad_origin", "trailing_bytes".
Result<Frame> parse(ByteView bytes);

// Parses exactly one MESSAGE frame. Error codes: those of parse() ("unknown_type" for any other
// type), with "oversize" for a payload above kMaxMessagePayloadBytes.
Result<MessageFrame> parse_message(ByteView bytes);

// The frame's type when `bytes` starts like a frame of this version, for routing before a full
// parse (std::nullopt: not a frame parse() could accept).
std::optional<FrameType> peek_type(ByteView bytes);
// Parses a CHUNK frame in place, with exactly the checks and error codes of parse().
Result<ChunkView> parse_chunk(std::span<uint8_t> bytes);

// Writes a CHUNK frame's header for a sealed payload of `payload_len` bytes into `out`
// (kChunkHeaderBytes long); the sealed payload follows it in the same buffer.
void put_chunk_header(uint8_t* out, uint32_t transfer_id, uint32_t file_id, uint64_t index,
                      bool last, uint32_t payload_len);

}  // namespace ferry::protocol
