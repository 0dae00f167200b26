// The sending side of one transfer: pure logic, no I/O. The platform reads file slices, sends
// frames on the DataChannel and feeds events in; the sender answers with frames to send.
//
//   Sender::create --connect()--> kAwaitingHave --HAVE--> kAwaitingAccept --ACCEPT--> kSending
//        ^  (MANIFEST sent)              |                    |    |                    |
//        |                               |                    |    +-ACCEPT of no file: |
//        |                               |                    |      kDeclined          |
//        +-- disconnect()/connect() -----+--------------------+----------<--------------+
//                                              all sent: kAwaitingComplete --COMPLETE-->
//                                                                   kComplete / kFailed
//   cancel() or CANCEL from the peer -> kCancelled;  ERROR from the peer -> kFailed
//
// Accept: the receiver answers each epoch's MANIFEST with HAVE, and, once the person chose,
// with ACCEPT (the files it takes) and credit. Nothing is read or sent before that answer, and
// never a file it did not take (FileState::kSkipped).
//
// Pull loop: while (auto r = next_read(buffered_amount)) start reading r; when a read finishes,
// send every frame on_read(...) returns. Reads of one file are requested in order, and the
// sender hashes each file (BLAKE2b-256) on that first pass: FILE_END carries the hash right
// after the file's last chunk, so sending starts at once without a pre-read of a large file.
// After a drop, the receiver's HAVE tells which chunks to skip; chunks it already has are
// still read once if the hash has not covered them yet (a "hash-only" read sends nothing).
//
// Two brakes on next_read(): the channel's bufferedAmount (FlowControl: the network), and the
// receiver's credit (WINDOW: its disk). A chunk is read only if the CHUNK plaintext sent in this
// epoch, plus the reads in flight that will be sent, plus this chunk stay within the largest
// credit the receiver granted in this epoch (0 until its first WINDOW). A sender waiting for
// credit simply asks for no reads (flow_blocked()) until a WINDOW grows the credit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto/blake2b.h"
#include "crypto/chunk_aead.h"
#include "protocol/frame.h"
#include "transfer/control.h"
#include "transfer/flow_control.h"
#include "transfer/have_map.h"
#include "transfer/manifest.h"
#include "transfer/progress.h"

namespace ferry::transfer {

// Reads in flight at once: File.slice().arrayBuffer() is asynchronous, and a few outstanding
// reads hide its latency, while bounding the wasm heap to a few chunks.
constexpr size_t kMaxReadsInFlight = 4;

struct SourceFile {
  std::string name;
  uint64_t size = 0;
  std::string mime;
  std::string dir = {};  // its folder relative to what was chosen ("" at the top); sanitised here
};

struct SenderOptions {
  // The platform lowers it so that a CHUNK frame (chunk + 63 bytes) fits the remote
  // a=max-message-size; it must stay within [kMinChunkBytes, kMaxChunkBytes].
  uint32_t chunk_size = kDefaultChunkBytes;
  size_t max_reads_in_flight = kMaxReadsInFlight;
  uint64_t high_watermark = kHighWatermarkBytes;
  uint64_t low_watermark = kLowWatermarkBytes;
};

struct ReadRequest {
  uint32_t file_id = 0;
  uint64_t index = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  bool operator==(const ReadRequest&) const = default;
};

class Sender {
 public:
  enum class State : uint8_t {
    kDisconnected,      // created, or the channel dropped: call connect()
    kAwaitingHave,      // MANIFEST sent, waiting for the receiver's have-map
    kAwaitingAccept,    // the receiver has the offer: waiting for the person to answer
    kSending,           // reading and sending chunks
    kAwaitingComplete,  // every chunk and FILE_END sent, waiting for COMPLETE
    kComplete,
    kCancelled,
    kFailed,
    kDeclined,  // the receiver declined the whole transfer
  };

  // File ids are the positions in `files` (0, 1, 2...). Names and folder paths are sanitised
  // (and made unique) here too, so the manifest never carries a path that the receiver would
  // have to change. `empty_dirs`: folders with nothing in them, kept in the tree.
  static Result<Sender> create(const crypto::SecretKey& send_key, uint32_t transfer_id,
                               const std::vector<SourceFile>& files, SenderOptions options,
                               RandomFn rng, const std::vector<std::string>& empty_dirs = {});

  // Opens a connection epoch on a (new) channel: returns the frames to send (MANIFEST, and
  // PAUSE if paused locally). `send_key` is this connection's data key (it may be unchanged).
  std::vector<Bytes> connect(const crypto::SecretKey& send_key);
  // The channel dropped: reads in flight are forgotten (a late on_read is still hashed when
  // useful) and nothing is sent until connect().
  void disconnect();

  std::optional<ReadRequest> next_read(uint64_t buffered_amount);
  // A read finished. Returns the frames to send (a CHUNK, and FILE_END after a file's last
  // chunk); an empty list for a hash-only or stale read. Errors: "bad_read" (wrong length).
  Result<std::vector<Bytes>> on_read(uint32_t file_id, uint64_t index, ByteView bytes);
  // The same, handing each frame to `send` as it is made: the CHUNK is sealed into a buffer
  // the sender reuses, so the view is valid only during the call (the data path's form).
  using FrameOut = std::function<void(ByteView frame)>;
  Status on_read(uint32_t file_id, uint64_t index, ByteView bytes, const FrameOut& send);
  // A frame from the receiver of this transfer (CONTROL, origin kReceiver). Returns frames to
  // send (FILE_END again after a HAVE). A frame that fails authentication or arrives twice is
  // rejected and changes nothing.
  Result<std::vector<Bytes>> on_frame(const protocol::Frame& frame);

  std::vector<Bytes> pause();
  std::vector<Bytes> resume();
  std::vector<Bytes> cancel();

  State state() const { return state_; }
  // The receiver answered (in some epoch); `accepted_files()` of `manifest().files.size()` files.
  bool answered() const { return answered_; }
  // A long HAVE or ACCEPT from the receiver, still arriving in parts (transfer/control.h).
  size_t assembling_bytes() const { return opener_ ? opener_->assembling_bytes() : 0; }
  void drop_parts() {
    if (opener_) opener_->drop_parts();
  }
  size_t accepted_files() const;
  bool paused() const { return paused_local_ || paused_remote_; }
  bool paused_here() const { return paused_local_; }  // by this side (it alone can resume)
  uint32_t transfer_id() const { return transfer_id_; }
  const Manifest& manifest() const { return manifest_; }
  const FlowControl& flow_control() const { return flow_; }
  TransferProgress progress() const;
  // Plaintext bytes of CHUNK frames produced so far (all connections): measures resending.
  uint64_t chunk_bytes_sent() const { return chunk_bytes_sent_; }
  // Receiver flow control in this epoch: the credit granted (largest WINDOW), the CHUNK
  // plaintext sent against it, and whether the last next_read() stopped for want of credit
  // (the receiver's disk is the bottleneck, not the network).
  uint64_t credit() const { return credit_; }
  uint64_t epoch_bytes_sent() const { return epoch_bytes_sent_; }
  bool flow_blocked() const { return credit_blocked_; }

 private:
  struct FileSend {
    HaveMap covered;              // receiver has it, or sent in this connection
    uint64_t scan = 0;            // next index to consider in this connection
    uint64_t hash_cursor = 0;     // next index to hash
    crypto::SecretKey key;        // per-file chunk key for this connection
    crypto::Blake2b hasher;
    std::optional<crypto::Blake2bDigest> hash;
    std::map<uint64_t, Bytes> hash_pending;  // read ahead of hash_cursor, waiting for it
    bool confirmed = false;       // receiver reported it complete
    bool failed = false;
    bool skipped = false;         // the receiver did not accept it
  };

  Sender(const crypto::SecretKey& send_key, uint32_t transfer_id, Manifest manifest,
         SenderOptions options, RandomFn rng);
  std::vector<Bytes> seal(ControlBody body);
  static void append(std::vector<Bytes>& out, std::vector<Bytes> frames);
  bool wanted(const FileSend& f, uint64_t index) const;
  uint64_t in_flight_chunk_bytes() const;  // reads in flight that will become CHUNKs
  void hash_in_order(FileSend& f, uint32_t file_id, uint64_t index, ByteView bytes,
                     std::vector<Bytes>& out);
  void maybe_all_sent();
  Result<std::vector<Bytes>> on_accept(const AcceptMsg& accept);
  Result<std::vector<Bytes>> on_control(ControlMessage msg);

  uint32_t transfer_id_;
  Manifest manifest_;
  SenderOptions options_;
  RandomFn rng_;
  FlowControl flow_;
  State state_ = State::kDisconnected;
  crypto::SecretKey key_;
  std::optional<ControlSealer> sealer_;
  std::optional<ControlOpener> opener_;
  Epoch epoch_{};
  std::vector<FileSend> files_;
  std::vector<ReadRequest> in_flight_;
  size_t file_cursor_ = 0;  // first file that may still need reads in this connection
  bool answered_ = false;   // an ACCEPT arrived (in any epoch)
  bool paused_local_ = false;
  bool paused_remote_ = false;
  uint64_t chunk_bytes_sent_ = 0;
  Bytes chunk_frame_;  // the CHUNK frame being sent (on_read), grown once
  // Per epoch (reset by connect): see the header comment.
  uint64_t credit_ = 0;
  uint64_t epoch_bytes_sent_ = 0;
  bool credit_blocked_ = false;
};

const char* to_string(Sender::State state);

}  // namespace ferry::transfer
