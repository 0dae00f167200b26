// Control messages of a transfer, and how they are sealed into CONTROL frames.
//
// Plaintext body: epoch (16 bytes) | u8 kind | kind-specific fields (little-endian).
// Sealing: crypto::seal_chunk under derive_file_key(data_key, transfer_id, reserved file id),
// with ChunkId{transfer_id, reserved file id, seq, last = false}. The reserved file id differs
// by origin (kSenderControlFileId / kReceiverControlFileId), so a message can never be
// reflected back to its writer, and seq is authenticated: the reader accepts only strictly
// increasing seqs (replays and reordering by a relay are rejected).
//
// Parts: a message whose plaintext is longer than kControlPartBytes (a manifest of thousands
// of files, or their HAVE) goes as several CONTROL frames, each sealed with its own seq, whose
// plaintexts are epoch | u8 kPart | u8 flags (1: last, 2: first) | piece. The pieces, in seq
// order, are the message's own plaintext. The opener assembles them (at most
// kMaxControlMessageBytes) and only then parses and checks the whole. A first part starts a new
// message (an unfinished one from an earlier connection is dropped); a later part must continue
// the message being assembled, in the same epoch, or it is refused and the assembly dropped.
//
// Epochs: every (re)connect, the sender picks a random epoch and announces it in its MANIFEST.
// Every later message of either side carries that epoch and is rejected otherwise, so messages
// recorded during an earlier connection cannot be replayed into a later one even though a
// rebuilt receiver numbers its messages from 1 again.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "crypto/blake2b.h"
#include "crypto/chunk_aead.h"
#include "protocol/frame.h"
#include "transfer/have_map.h"
#include "transfer/manifest.h"

namespace ferry::transfer {

// Reserved file ids for control messages (never used by files: see kFirstReservedFileId).
constexpr uint32_t kSenderControlFileId = 0xFFFFFFFF;
constexpr uint32_t kReceiverControlFileId = 0xFFFFFFFE;
// Random epoch size: 128 bits never repeat by chance.
constexpr size_t kEpochBytes = 16;
// Largest sealed control message we send: Chromium's DataChannel max-message-size is 256 KiB,
// and a control message must fit in one DataChannel message.
constexpr size_t kMaxControlFrameBytes = 256 * 1024;
// Longest plaintext sent in one CONTROL frame; longer messages go in parts of this size. Small
// enough for any browser's DataChannel (some allow only 64 KiB per message) and the relay.
constexpr size_t kControlPartBytes = 60 * 1024;
// Longest message assembled from parts: a largest manifest and its epoch and kind.
constexpr size_t kMaxControlMessageBytes = kMaxManifestBytes + kEpochBytes + 1;
// Most have-map runs in one HAVE message: 16 bytes each, so 15000 runs (240 KB) plus the
// per-file headers of a full manifest (16,384 x 8 bytes) stay far within
// kMaxControlMessageBytes (a long HAVE travels in parts). A receiver with a more fragmented map
// sends only the first runs, and the sender then resends a little more than needed, which is
// safe.
constexpr size_t kMaxHaveRuns = 15000;
// Longest error code and message in an ERROR control message.
constexpr size_t kMaxErrorCodeBytes = 64;
constexpr size_t kMaxErrorMessageBytes = 1024;

using Epoch = std::array<uint8_t, kEpochBytes>;

enum class ControlKind : uint8_t {
  kManifest = 1,  // sender -> receiver, opens an epoch
  kFileEnd = 2,   // sender -> receiver: whole-file BLAKE2b-256 after the file's last chunk
  kHave = 3,      // receiver -> sender: verified chunks, answers each MANIFEST
  kPause = 4,     // either way
  kResume = 5,    // either way
  kCancel = 6,    // either way
  kComplete = 7,  // receiver -> sender: every file verified (or failed), per file
  kError = 8,     // either way: the writer gives up, with a reason
  kWindow = 9,    // receiver -> sender: flow-control credit for this epoch (u64)
  kAccept = 10,   // receiver -> sender: the files the person accepted (none: declined)
  kPart = 11,     // either way: a piece of a longer message (see "Parts" above)
};

struct FileEndMsg {
  uint32_t file_id = 0;
  crypto::Blake2bDigest hash{};
  bool operator==(const FileEndMsg&) const = default;
};
struct FileHave {
  uint32_t file_id = 0;
  std::vector<ChunkRun> runs;
  bool operator==(const FileHave&) const = default;
};
struct HaveMsg {
  std::vector<FileHave> files;
  bool operator==(const HaveMsg&) const = default;
};
struct PauseMsg {
  bool operator==(const PauseMsg&) const = default;
};
struct ResumeMsg {
  bool operator==(const ResumeMsg&) const = default;
};
struct CancelMsg {
  bool operator==(const CancelMsg&) const = default;
};
struct FileResult {
  uint32_t file_id = 0;
  bool ok = false;
  bool operator==(const FileResult&) const = default;
};
struct CompleteMsg {
  std::vector<FileResult> files;
  bool operator==(const CompleteMsg&) const = default;
};
struct ErrorMsg {
  std::string code;
  std::string message;
  bool operator==(const ErrorMsg&) const = default;
};

// Receiver-driven flow control (disk backpressure): the sender may have sent CHUNK plaintext
// bytes up to `credit` IN TOTAL in this epoch (cumulative, so a lost or repeated WINDOW is
// harmless; the sender keeps the largest it has seen). See receiver.h for how it is granted.
struct WindowMsg {
  uint64_t credit = 0;
  bool operator==(const WindowMsg&) const = default;
};

// The receiver's answer to an offer, after the person chose (receiver.h, "Accept"): the ids of
// the files it will take, strictly ascending; an empty list declines the whole transfer. Sent
// in every epoch once chosen (after HAVE, before the first WINDOW), so a reconnected sender
// learns it again; nothing of a file outside the list is ever sent or written.
struct AcceptMsg {
  std::vector<uint32_t> file_ids;
  bool operator==(const AcceptMsg&) const = default;
};

using ControlBody = std::variant<Manifest, FileEndMsg, HaveMsg, PauseMsg, ResumeMsg, CancelMsg,
                                 CompleteMsg, ErrorMsg, WindowMsg, AcceptMsg>;

struct ControlMessage {
  Epoch epoch{};
  ControlBody body;
  bool operator==(const ControlMessage&) const = default;
};

Bytes encode_control(const ControlMessage& message);
// Strict: unknown kinds, bad lengths and trailing bytes are rejected.
Result<ControlMessage> parse_control(ByteView bytes);

// Seals control messages of one origin for one transfer, numbering them 1, 2, 3...
class ControlSealer {
 public:
  // `last_seq`: the numbering continues after it, so that a new key or channel never repeats
  // a seq that a surviving reader already accepted.
  ControlSealer(const crypto::SecretKey& data_key, uint32_t transfer_id, protocol::Origin origin,
                uint64_t last_seq = 0);
  // Returns the encoded CONTROL frames: one, or the parts of a long message.
  std::vector<Bytes> seal(const ControlMessage& message, const RandomFn& rng);
  uint64_t last_seq() const { return seq_; }

 private:
  crypto::SecretKey key_;
  uint32_t transfer_id_;
  protocol::Origin origin_;
  uint64_t seq_ = 0;
};

// Opens control messages of one origin for one transfer and rejects replays.
class ControlOpener {
 public:
  ControlOpener(const crypto::SecretKey& data_key, uint32_t transfer_id, protocol::Origin origin);
  // Authenticates and parses; errors: "wrong_transfer", "wrong_origin", "bad_mac", "replay",
  // "wrong_epoch", "bad_part", "control_too_large" and the parse errors. With `epoch`, a
  // message of another epoch is rejected, except a MANIFEST (which opens a new epoch). The seq
  // window advances only for accepted frames, so a stale message cannot block a fresh one.
  // No message (and no error): a part was accepted and more are to come.
  Result<std::optional<ControlMessage>> open(const protocol::ControlFrame& frame, const Epoch* epoch);
  // A message in parts is being assembled (its first parts opened).
  bool assembling() const { return assembling_; }
  // Plaintext held for a message in parts (DataPlane keeps the sum over all openers bounded).
  size_t assembling_bytes() const { return assembled_.size(); }
  // Drops what was assembled (wiped): its connection is gone, or the parts are over budget.
  void drop_parts();
  // A new epoch starts a new numbering (the peer may have been rebuilt).
  void reset_window() { last_seq_ = 0; }

 private:
  crypto::SecretKey key_;
  uint32_t transfer_id_;
  protocol::Origin origin_;
  uint64_t last_seq_ = 0;
  Bytes assembled_;        // the pieces so far of a message in parts
  Epoch assembled_epoch_{};
  bool assembling_ = false;
};

}  // namespace ferry::transfer
