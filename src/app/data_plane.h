// The data plane: every transfer of a session, both ways, on whatever path the frames take.
// Plain logic like app::Session, which owns it: the session decides when a path is open and
// which keys are live; the data plane turns frames, file reads and storage answers into
// frames, writes and commands.
//
//   Session --open(chunk size, path)/close()/set_keys()--> DataPlane
//   frames in:  on_frame(bytes) (copied: tests, the relay) or on_frame_in_place(buffer) (the
//               browser's receive arena: parsed, opened and hashed where it lies)
//   reads in:   on_file_read(...)      (sealed into the sender's reused frame buffer)
//   out:        DataIo::send_frame / DataIo::write for the bulk (CHUNK frames and chunk writes,
//               at once, as views), and Commands (OpenSink, ReadFile, SaveState...) for the rest.
//               Without a DataIo, or while commands wait, they become cmd::SendFrame /
//               cmd::WriteSink, so the platform carries everything out in the order issued.
//   acks:       on_sink_written(...) when writes reach the disk: the receivers' windows open.
//
// Incoming transfers exist only once their sealed MANIFEST opened (a forged frame allocates
// nothing); their state is saved for a reload (cmd::SaveState) after the writes it covers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "crypto/chunk_aead.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"
#include "util/bytes.h"

namespace ferry::app {

// Most incoming transfers we keep at once: each holds a have-map and per-file state; a peer that
// opens more is misbehaving.
constexpr size_t kMaxIncomingTransfers = 64;
// Incoming transfers whose MANIFEST is still arriving in parts (transfer/control.h, "Parts"):
// authenticated frames, but up to 4 MiB each while they form. A sender sends one manifest at a
// time per connection, so two is plenty.
constexpr size_t kMaxFormingTransfers = 2;
// Plaintext all openers together may hold for control messages in parts. Each opener alone
// stops at transfer::kMaxControlMessageBytes (4 MiB), but 64 incoming transfers and every
// outgoing one have one each, so an authenticated peer that interleaved parts could otherwise
// make us hold hundreds of MiB. A peer sends the parts of a message back to back on one ordered
// path, and close() drops what a lost connection left half-assembled, so a real peer never has
// more than one message in parts at a time: twice the largest leaves room for one more.
constexpr size_t kMaxAssemblingBytes = 2 * transfer::kMaxControlMessageBytes;
// Frames dropped before a MANIFEST opened are logged once per this many (a flood of forged
// frames must not flood the log).
constexpr uint64_t kDroppedFrameLogEvery = 1000;
// Transfer ids start at a random number below this mask + 1 (see the constructor): 2^30 leaves
// 3 * 2^30 ids to count up before the u32 wraps.
constexpr uint32_t kTransferIdStartMask = (1u << 30) - 1;
// Frame overhead on a DataChannel message: the CHUNK header and the AEAD nonce and tag.
constexpr uint32_t kChunkFrameOverheadBytes = 23 + 24 + 16;
// Chunk size on a DataChannel, in bytes. Measured in bench/throughput (500 MB, Chromium to
// Chromium): 64 KiB chunks gave 11.0 MB/s and 256 KiB chunks 10.1 MB/s: the cost is CPU per
// byte, not per message, so the smaller size that every browser accepts wins. A peer that
// announces a smaller a=max-message-size still gets chunks that fit.
constexpr uint32_t kPreferredChunkBytes = transfer::kDefaultChunkBytes;
// Chunk reads in flight per outgoing transfer: reads are served from 4 MiB blocks read ahead
// by the glue, so 8 chunks (2 MiB) in flight keep the channel full (bench/throughput) while
// bounding the wasm heap.
constexpr size_t kReadsInFlight = 8;
// Speed is averaged over this window, in milliseconds: long enough to be steady, short enough
// to follow a change of network.
constexpr double kSpeedWindowMs = 3000;
// Speeds are sampled this often, in milliseconds; tick() does nothing in between (it runs on
// every drained browser event, i.e. per chunk).
constexpr double kSpeedSampleMs = 250;
// A receiver's state (manifest and have-maps) is saved to disk after this many new bytes, so a
// reloaded tab resumes from there.
constexpr uint64_t kPersistEveryBytes = 4ull * 1024 * 1024;
// A saved state holds every file's have-map, so it grows with the file count (about 50 bytes
// per file): saving it after each of 10,000 small files would write gigabytes. A completed
// file is saved at once in a transfer of up to this many files, and after 1/kPersistFileSteps
// of the files otherwise. An older state is only conservative: a reload re-fetches a little.
constexpr size_t kPersistFileSteps = 64;

// Where the bulk goes at once, without a command in between (the browser's client). Views are
// valid during the call only.
class DataIo {
 public:
  virtual ~DataIo() = default;
  // A frame on the open path (via_server: a binary WebSocket message through the relay).
  virtual void send_frame(ByteView frame, bool via_server) = 0;
  // Plaintext of an incoming file at `offset`, after the OpenSink of that file. The platform
  // reports each write's bytes once they are on disk (DataPlane::on_sink_written), which opens
  // the receiver's flow-control window (transfer/receiver.h).
  virtual void write(uint32_t transfer_id, uint32_t file_id, uint64_t offset, ByteView bytes) = 0;
};

class DataPlane {
 public:
  using Emit = std::function<void(Command)>;
  using Log = std::function<void(std::string)>;
  // Whether commands are waiting to be carried out: the bulk then queues behind them as
  // commands too, so nothing overtakes a command issued before it (a "relay" switch, an
  // OpenSink).
  using Pending = std::function<bool()>;
  DataPlane(RandomFn rng, uint32_t chunk_size, Emit emit, Log log, Pending pending);

  void set_io(DataIo* io) { io_ = io; }
  // "<room>-": names saved states and stored files (set once the room is known).
  void set_storage_prefix(std::string prefix) { prefix_ = std::move(prefix); }
  // The live keys (a handshake confirmed): incoming transfers go on under them.
  void set_keys(const crypto::SecretKey& send_data, const crypto::SecretKey& recv_data);

  // --- the path -----------------------------------------------------------------------------
  // A path opened (max_message_size: the peer's limit per message, 0 if unknown): outgoing
  // transfers (re)connect and resume from the receiver's have-map.
  void open(size_t max_message_size, bool via_server);
  void close();  // the path is gone: senders wait for the next one
  bool is_open() const { return open_; }

  // --- intents ------------------------------------------------------------------------------
  void send_files(std::vector<transfer::SourceFile> files, std::vector<int> handles,
                  std::vector<std::string> empty_dirs = {});
  enum class Control { kPause, kResume, kCancel };
  void control(uint32_t id, bool outgoing, Control what);
  // A receiver's saved state found after a reload; used when the sender offers that transfer.
  void restore_incoming(uint32_t transfer_id, Bytes state);
  // The person's answer to an incoming offer (TransferState::kOffered): the files to take
  // (ascending or not; none declines). Nothing of an offer is written or sent before it.
  void answer(uint32_t transfer_id, std::vector<uint32_t> file_ids);
  void answer_all(uint32_t transfer_id);  // every file
  // "Accept everything from this device for this session": offers waiting now and later are
  // accepted whole, at once.
  void set_accept_all(bool on);
  bool accept_all() const { return accept_all_; }

  // --- events ---------------------------------------------------------------------------------
  void tick(double now_ms);  // speeds
  void on_frame(ByteView bytes);
  // The data path's form: `bytes` is the platform's receive buffer, parsed and opened in place
  // (the buffer's contents are consumed).
  void on_frame_in_place(std::span<uint8_t> bytes);
  // The path may take more (`buffered`: bytes it holds): asks the senders for reads.
  void pump(uint64_t buffered);
  void on_file_read(uint32_t transfer_id, uint32_t file_id, uint64_t index, ByteView bytes);
  void on_file_read_error(uint32_t transfer_id, std::string_view message);
  void on_sink_read(uint32_t transfer_id, uint32_t file_id, uint64_t index, ByteView bytes);
  void on_sink_error(uint32_t transfer_id, uint32_t file_id, std::string_view message);
  // `bytes` of earlier writes of that transfer are on disk. Without a DataIo, writes count as
  // written as soon as they become commands.
  void on_sink_written(uint32_t transfer_id, uint64_t bytes);

  std::vector<TransferView> transfers() const;
  bool moving() const;  // some transfer is sending or receiving right now
  int file_handle(uint32_t transfer_id, uint32_t file_id) const;
  // Plaintext every opener holds for control messages in parts, summed (kMaxAssemblingBytes).
  size_t assembling_bytes() const;

 private:
  struct Speed {
    uint64_t last_bytes = 0;
    double value = 0;
    double since = -1;
    void update(double now, uint64_t bytes);
  };
  struct Outgoing {
    std::optional<transfer::Sender> sender;  // made when a path opens (chunk size known)
    std::vector<transfer::SourceFile> files;
    std::vector<std::string> empty_dirs;  // folders with nothing in them, part of the tree
    std::vector<int> handles;
    Speed speed;
    std::vector<Speed> file_speeds;  // by position in the manifest
  };
  struct Incoming {
    transfer::Receiver receiver;
    uint64_t unsaved_bytes = 0;  // written since the last SaveState
    uint64_t acked_at_once = 0;  // written as commands (no DataIo): acknowledged after the batch
    size_t unsaved_files = 0;    // files completed since the last SaveState
    Speed speed;
    std::vector<Speed> file_speeds;
  };
  // Samples each file's speed; a file that is not moving shows none.
  static void sample_files(std::vector<Speed>& speeds, const transfer::TransferProgress& p, double now_ms);
  static std::vector<double> file_speeds(const std::vector<Speed>& speeds, const transfer::TransferProgress& p);

  void send_frame(ByteView frame);
  void send_frames(const std::vector<Bytes>& frames);
  void write(uint32_t id, uint32_t file_id, uint64_t offset, ByteView bytes);
  void start_outgoing(Outgoing& out, uint32_t id);
  void on_sender_frame(const protocol::Frame& frame);  // a CONTROL from a receiver of ours
  void run_receiver_commands(uint32_t id, std::vector<transfer::Command> cmds);
  transfer::Receiver new_receiver(uint32_t id, bool& restored);
  void reopen_sinks(uint32_t id, const transfer::Receiver& r);
  std::string state_key(uint32_t id) const { return prefix_ + std::to_string(id); }
  static std::vector<uint32_t> all_files(const transfer::Receiver& r);

  RandomFn rng_;
  uint32_t preferred_chunk_size_;
  Emit emit_;
  Log log_;
  Pending pending_;
  DataIo* io_ = nullptr;
  std::string prefix_;
  std::optional<crypto::SecretKey> send_key_, recv_key_;
  bool open_ = false;
  bool via_server_ = false;
  bool accept_all_ = false;  // set_accept_all()
  uint32_t chunk_size_ = transfer::kDefaultChunkBytes;
  double last_speed_sample_ = -1e18;
  uint64_t dropped_frames_ = 0;          // frames of no transfer whose MANIFEST opened
  std::map<uint32_t, Bytes> persisted_;  // restore_incoming(), until the sender offers it
  uint32_t next_transfer_id_ = 1;
  std::map<uint32_t, Outgoing> outgoing_;
  std::map<uint32_t, Incoming> incoming_;
  // Receivers whose MANIFEST arrives in parts: kept only while their parts open, then moved to
  // incoming_ (or dropped if the parts do not make a manifest).
  struct Forming {
    transfer::Receiver receiver;
    bool restored = false;  // from this browser's saved state
  };
  std::map<uint32_t, Forming> forming_;

  // After a CONTROL frame went to an endpoint: if the openers now hold more than
  // kMaxAssemblingBytes, that endpoint's parts are dropped. Returns whether it was over.
  // `held_elsewhere`: the endpoint is in none of the maps yet (a receiver about to form).
  template <class Endpoint>
  bool over_part_budget(Endpoint& e, bool held_elsewhere = false);
};

}  // namespace ferry::app
