// The receiving side of one transfer: pure logic, no I/O. The platform feeds it frames and
// carries out the commands it returns, IN ORDER (a ReadBack reads bytes of an earlier Write).
//
//   kAwaitingManifest --MANIFEST--> kAwaitingAccept --accept(files)--> kReceiving --every
//        |                               |                               accepted file verified
//        |                               +--decline()--> kDeclined          --> kComplete
//        +--MANIFEST of a restored, accepted transfer--> kReceiving   (some file's hash
//                                                                      mismatched) -> kFailed
//   cancel() or CANCEL from the peer -> kCancelled;  ERROR from the peer -> kFailed
//
// Accept. An offer waits for the person: a MANIFEST is answered with HAVE only, and no credit
// (WINDOW) is granted, so an honest sender sends no chunk and the platform opens no sink until
// accept() (cmd::Accepted names the files to open). accept() sends ACCEPT with the chosen files
// and the first WINDOW; decline() sends an empty ACCEPT. A chunk before the answer, or of a
// file not accepted, is dropped unopened and unwritten. The answer is part of persist(), and
// is sent again after the HAVE of every later epoch, so a reconnect or reload never asks twice.
//
// Every chunk is authenticated before it is written; a chunk that fails is never written.
// Whole-file hash: the receiver hashes plaintext in chunk order. A chunk arriving ahead of the
// hash cursor is written at once, and a copy is kept in memory (the reorder buffer, at most
// reorder_bytes per transfer) for the cursor to hash when it gets there; one that does not fit
// is hashed through a ReadBack, which asks the platform for those bytes from its sink
// (on_read_back). Chunks striped over several connections (app/lanes.h) arrive out of order
// all the time: the buffer spares the disk those reads. A file completes only when every chunk is
// verified AND its BLAKE2b-256 matches the sender's FILE_END; a mismatch fails the file.
//
// Resume: persist() after carrying out the Writes; restore() from it after a drop or reload.
// The restored receiver re-hashes what it has via ReadBacks, and answers the sender's next
// MANIFEST with its have-map so that only missing chunks are sent.
//
// Flow control (disk backpressure): the receiver, not the channel, decides how fast the sender
// may go. "Unwritten" bytes are those of Write commands the platform has not yet reported
// durably written (on_written: the storage worker's acknowledgements; a synchronous sink
// acknowledges at once). Per epoch (one MANIFEST), the receiver grants the sender a cumulative
// credit of CHUNK plaintext bytes in a WINDOW message:
//     credit = max(0, consumed + window - carried)
// consumed: bytes acknowledged in this epoch, plus chunks of a file that already failed (they
//   are discarded unwritten, yet spent the sender's credit);
// carried: bytes still unwritten when the epoch began (a reconnect or rekey while the disk was
//   behind). Acknowledgements come in Write order, so those are acknowledged first.
// So unwritten bytes stay within the window (or the carried bytes, while those exceed it).
// WINDOW goes right after each HAVE, and again whenever the credit has grown by window/4 since
// the last one. An authenticated chunk that takes this epoch's received bytes past the last
// credit sent (plus kFlowSlackBytes) is a sender ignoring flow control: the transfer fails with
// "flow_control" before the chunk is written or kept. Duplicates of chunks already held count
// nothing (a failed file's discarded chunks are marked held in its have-map for that reason).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "crypto/blake2b.h"
#include "crypto/chunk_aead.h"
#include "protocol/frame.h"
#include "transfer/control.h"
#include "transfer/have_map.h"
#include "transfer/manifest.h"
#include "transfer/progress.h"

namespace ferry::transfer {

// The receive window: at most this many plaintext bytes received but not yet written. Several
// times the bandwidth-delay product of a fast path (25 MB/s, the measured direct-channel ceiling,
// x 100 ms of WAN round trip = 2.5 MB), so credit never stalls a disk that keeps up, and small
// enough that a slow disk holds only 8 MiB of a tab's memory per incoming transfer.
constexpr uint64_t kReceiveWindowBytes = 8 * 1024 * 1024;
// Smallest window a receiver accepts: liveness needs a fresh WINDOW (sent after window/4 of
// growth) before the sender runs dry, i.e. window/4 + one chunk <= window for the largest chunk.
constexpr uint64_t kMinReceiveWindowBytes = 2 * uint64_t{kMaxChunkBytes};
// Tolerance above the granted credit before a sender counts as ignoring flow control: one
// largest chunk. The honest sender never exceeds the credit (both sides count the same chunks'
// plaintext, cumulatively, so chunks striped over several lanes and arriving out of order count
// the same; lanes never outlive their epoch's connection, app/lanes.h); the slack keeps one
// chunk sealed before a reconnect and delivered after the new MANIFEST (a transport switch)
// from failing a transfer, and costs at most one chunk of memory.
constexpr uint64_t kFlowSlackBytes = kMaxChunkBytes;
// The reorder buffer: plaintext of chunks ahead of the hash cursor kept in memory, per incoming
// transfer. Chunks striped over 4 lanes arrive out of order by about what the lanes queue and
// carry (1 MiB queued each at most, app/lanes.h kLaneQueueScale), so 4 MiB holds the usual
// spread; beyond it chunks are read back from the sink. A tab holds at most
// kMaxIncomingTransfers (app/data_plane.h) times this.
constexpr uint64_t kReorderBufferBytes = 4 * 1024 * 1024;
static_assert(kMinReceiveWindowBytes / 4 + kMaxChunkBytes <= kMinReceiveWindowBytes,
              "a sender must be able to use the credit before the next WINDOW is due");

namespace cmd {
// A new manifest arrived: the UI shows the files, the platform opens one sink per file.
struct ManifestReceived {
  Manifest manifest;
};
struct Write {
  uint32_t file_id = 0;
  uint64_t offset = 0;
  Bytes bytes;
};
// The same, in place: `bytes` points into the buffer the frame was handed in
// (Receiver::on_chunk_in_place), valid until that buffer is reused. Carry it out at once.
struct WriteInPlace {
  uint32_t file_id = 0;
  uint64_t offset = 0;
  ByteView bytes;
};
struct ReadBack {
  uint32_t file_id = 0;
  uint64_t index = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
};
struct Send {
  Bytes frame;
};
struct FileComplete {
  uint32_t file_id = 0;
  crypto::Blake2bDigest hash{};
};
struct FileFailed {
  uint32_t file_id = 0;
  Error error;
};
struct TransferComplete {};
struct TransferCancelled {
  bool by_peer = false;
};
// The person accepted these files (ascending ids): the platform opens their sinks now.
struct Accepted {
  std::vector<uint32_t> file_ids;
};
struct TransferDeclined {};
// `fatal`: the transfer is over (kFailed). Otherwise one frame was rejected and dropped (a bad
// MAC, a replay) and the transfer goes on; the platform may still choose to close.
struct Failure {
  Error error;
  bool fatal = false;
};
}  // namespace cmd

using Command = std::variant<cmd::ManifestReceived, cmd::Write, cmd::WriteInPlace, cmd::ReadBack, cmd::Send,
                             cmd::FileComplete, cmd::FileFailed, cmd::TransferComplete,
                             cmd::TransferCancelled, cmd::Failure, cmd::Accepted, cmd::TransferDeclined>;

class Receiver {
 public:
  enum class State : uint8_t {
    kAwaitingManifest,
    kAwaitingAccept,  // the offer is shown; nothing is received or written until accept()
    kReceiving,
    kComplete,
    kCancelled,
    kFailed,
    kDeclined,
  };

  // `window_bytes`: the receive window (at least kMinReceiveWindowBytes; asserted).
  // `reorder_bytes`: the reorder buffer (0: every chunk ahead of the cursor is read back).
  Receiver(const crypto::SecretKey& receive_key, uint32_t transfer_id, RandomFn rng,
           uint64_t window_bytes = kReceiveWindowBytes,
           uint64_t reorder_bytes = kReorderBufferBytes);
  // Rebuilds a receiver from persist(): the manifest and the have-maps of verified chunks.
  // Nothing of the old receiver's writes is pending any more (its platform is gone).
  static Result<Receiver> restore(const crypto::SecretKey& receive_key, ByteView persisted,
                                  RandomFn rng, uint64_t window_bytes = kReceiveWindowBytes);
  // Only what is durable: written-and-verified chunks, never in-flight state.
  Bytes persist() const;
  // The same transfer on a new connection under new keys (a fresh handshake after a drop):
  // everything received, verified and hashed so far is kept, frames under the old key no
  // longer open, and the next MANIFEST opens a new epoch. Writes still unwritten stay counted
  // (the same platform will acknowledge them) and are carried into the next epoch's credit.
  void rekey(const crypto::SecretKey& receive_key);

  // A frame of this transfer from its sender (CHUNK, or CONTROL with origin kSender).
  std::vector<Command> on_frame(const protocol::Frame& frame);
  // A CHUNK parsed in place (protocol::parse_chunk): opened in its own buffer, and written with
  // cmd::WriteInPlace, which points into it. The data path's form: no copy, no allocation.
  std::vector<Command> on_chunk_in_place(const protocol::ChunkView& frame);
  // The bytes a ReadBack asked for.
  std::vector<Command> on_read_back(uint32_t file_id, uint64_t index, ByteView bytes);
  // `bytes` more of earlier Writes' bytes are durably written (acknowledgements come in Write
  // order and may be batched; more than is unwritten is clamped, e.g. late acks after a
  // restore). Returns a WINDOW to send when the credit has grown enough.
  std::vector<Command> on_written(uint64_t bytes);

  // The person's answer to the offer (kAwaitingAccept only; otherwise nothing happens). Ids not
  // in the manifest are ignored; accepting none declines.
  std::vector<Command> accept(std::vector<uint32_t> file_ids);
  std::vector<Command> decline();

  std::vector<Command> pause();
  std::vector<Command> resume();
  std::vector<Command> cancel();

  State state() const { return state_; }
  // The person answered the offer with some files (kept across reconnects and reloads).
  bool accepted() const { return accepted_; }
  bool paused() const { return paused_local_ || paused_remote_; }
  bool paused_here() const { return paused_local_; }  // by this side (it alone can resume)
  uint32_t transfer_id() const { return transfer_id_; }
  const std::optional<Manifest>& manifest() const { return manifest_; }
  // A sealed MANIFEST from the sender opened (on this connection's keys): the transfer is real.
  bool manifest_opened() const { return epoch_.has_value(); }
  // The first parts of a control message in parts opened (a large MANIFEST on its way).
  bool assembling() const { return opener_.assembling(); }
  size_t assembling_bytes() const { return opener_.assembling_bytes(); }
  void drop_parts() { opener_.drop_parts(); }
  const HaveMap* have_map(uint32_t file_id) const;
  // What the UI shows, kept up to date file by file: rebuilding all of it for every frame was a
  // third of the receiver's main thread with 10,000 files (bench/folder). The reference lasts
  // until the next call that changes the transfer.
  const TransferProgress& progress() const { return *shared_progress(); }
  // The same, to keep for longer (a snapshot): a later change copies it rather than alter it.
  std::shared_ptr<const TransferProgress> shared_progress() const;
  // Flow control, for the UI and benchmarks: bytes written but not acknowledged, the window,
  // and the credit last sent in this epoch.
  uint64_t unwritten_bytes() const { return unwritten_; }
  uint64_t window_bytes() const { return window_; }
  uint64_t credit_granted() const { return granted_; }
  // Plaintext held in the reorder buffer now.
  uint64_t reorder_buffered_bytes() const { return ahead_bytes_; }

 private:
  struct FileRecv {
    HaveMap have;
    crypto::SecretKey key;
    uint64_t hash_cursor = 0;
    crypto::Blake2b hasher;
    bool read_back_pending = false;
    std::map<uint64_t, Bytes> ahead;  // the reorder buffer: verified plaintext by chunk index
    std::optional<crypto::Blake2bDigest> actual;
    std::optional<crypto::Blake2bDigest> expected;
    FileState state = FileState::kPending;
  };

  void send(ControlBody body, std::vector<Command>& out);
  AcceptMsg answer() const;  // the accepted files, for ACCEPT
  void start_receiving(std::vector<Command>& out);
  void fail(Error error, std::vector<Command>& out);
  void on_chunk(const protocol::ChunkFrame& frame, std::vector<Command>& out);
  void on_chunk(const protocol::ChunkView& frame, std::vector<Command>& out);
  void on_control(const protocol::ControlFrame& frame, std::vector<Command>& out);
  void on_manifest(const Epoch& epoch, Manifest manifest, std::vector<Command>& out);
  void hash_plain(size_t file, ByteView bytes, std::vector<Command>& out);
  void advance_hash(size_t file, std::vector<Command>& out);
  void check_file(size_t file, std::vector<Command>& out);
  void check_done(std::vector<Command>& out);
  size_t file_index(uint32_t file_id) const;  // SIZE_MAX if unknown
  uint64_t credit() const;  // what may be granted now (see the header comment)
  void start_credit(std::vector<Command>& out);
  void grant(std::vector<Command>& out);  // sends WINDOW when the credit has grown enough

  crypto::SecretKey key_;
  uint32_t transfer_id_;
  RandomFn rng_;
  State state_ = State::kAwaitingManifest;
  ControlSealer sealer_;
  ControlOpener opener_;
  std::optional<Epoch> epoch_;
  std::optional<Manifest> manifest_;
  std::vector<FileRecv> files_;
  // files_[0 .. settled_upto_) are complete, failed or skipped: states no file leaves, so
  // check_done() looks only past them (a scan from 0 at each of 10,000 files was quadratic).
  size_t settled_upto_ = 0;
  // shared_progress(): progress_ and which of its entries are stale (touched()).
  void touched(size_t fi);  // files_[fi]'s state or bytes changed
  mutable std::shared_ptr<TransferProgress> progress_;
  mutable std::vector<size_t> touched_;  // indices into files_, repeats allowed
  mutable bool rebuild_ = true;          // every entry is stale (or the list changed)
  bool accepted_ = false;  // files not accepted are FileState::kSkipped
  bool paused_local_ = false;
  bool paused_remote_ = false;
  // Flow control. unwritten_ spans epochs; the others restart with each MANIFEST.
  uint64_t window_;
  uint64_t unwritten_ = 0;       // bytes of Writes not yet acknowledged
  uint64_t carried_ = 0;         // unwritten_ when this epoch began
  uint64_t consumed_epoch_ = 0;  // acknowledged (or discarded, see on_chunk) in this epoch
  uint64_t received_epoch_ = 0;  // plaintext of new chunks accepted in this epoch
  uint64_t granted_ = 0;         // the credit last sent in this epoch
  uint64_t reorder_limit_;
  uint64_t ahead_bytes_ = 0;  // in the files' reorder buffers
  void drop_ahead();          // the transfer is over: the buffers go
};

const char* to_string(Receiver::State state);

}  // namespace ferry::transfer
