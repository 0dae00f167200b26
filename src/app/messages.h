// Text messages between the two devices of a session: text, links or the clipboard, both
// ways, on whatever data path is open (the DataChannel or the server's relay). Plain logic
// like app::DataPlane: the session says when a path is open and which keys are live.
//
//   Session --set_keys()/open(path)/close()--> Messages
//   send(text)   checked (UTF-8, at most kMaxMessageTextBytes), then sealed and sent at once,
//                or queued (bounded) while no path is open, and sent when one opens
//   on_frame()   a MESSAGE frame (protocol/frame.h) from the peer: opened, checked, shown
//   out:         cmd::SendFrame (in order with every other command), and log lines:
//                LogKind::kMessageSent / kMessageReceived carry the text itself
//
// Sealing. Each direction has its own key, derived from that direction's data key as the key
// of a reserved (transfer, file) pair that no transfer uses: crypto::derive_file_key(data key,
// kMessageTransferId, kMessageFileId). A message is crypto::seal_chunk of (kind u8 || text)
// under ChunkId{kMessageTransferId, kMessageFileId, seq, false}: the seq is authenticated, and
// the reader accepts only a seq above the last it accepted (gaps allowed), so a replayed or
// reordered message fails; a message reflected back to its writer fails to open (the other
// direction's key); so does anything from before a re-key. Rejected messages are never
// shown: the first of each cause is logged, then one in kRejectedMessageLogEvery.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "crypto/chunk_aead.h"
#include "protocol/frame.h"
#include "transfer/manifest.h"
#include "util/bytes.h"
#include "util/result.h"

namespace ferry::app {

// What an activity-log line is: a note of the session, or a message (its text is the line).
enum class LogKind : uint8_t { kInfo, kMessageSent, kMessageReceived };

// The reserved pair whose per-file key is a direction's message key: transfer ids start at 1
// (app/data_plane.h), and file ids from transfer::kFirstReservedFileId on are no file's; the
// control messages use 0xFFFFFFFF and 0xFFFFFFFE.
constexpr uint32_t kMessageTransferId = 0;
constexpr uint32_t kMessageFileId = 0xFFFFFFFD;
static_assert(kMessageFileId >= transfer::kFirstReservedFileId);
// The kinds of plaintext; anything else is refused ("unknown_kind").
enum class MessageKind : uint8_t { kText = 1 };
// Messages written while no path is open wait, at most this many and this many bytes of text
// (16 full-size messages): enough for a few notes typed while the other device reconnects,
// bounded so a page left offline does not grow without end.
constexpr size_t kMaxQueuedMessages = 32;
constexpr size_t kMaxQueuedMessageBytes = 16 * protocol::kMaxMessageTextBytes;
// Rejected incoming messages are logged once per cause, then once per this many (a flood of
// forged frames must not flood the log).
constexpr uint64_t kRejectedMessageLogEvery = 1000;

class Messages {
 public:
  using Emit = std::function<void(Command)>;
  using Log = std::function<void(LogKind, std::string)>;
  Messages(RandomFn rng, Emit emit, Log log);

  // The live keys (a handshake confirmed): new keys number from 1 again in both directions.
  // The same keys again change nothing.
  void set_keys(const crypto::SecretKey& send_data, const crypto::SecretKey& recv_data);
  // A path is open and the keys are live: waiting messages go now, new ones at once.
  // max_message_size: the path's limit per message (0: unknown, assumed large enough).
  void open(bool via_server, size_t max_message_size);
  void close();  // messages wait until the next open()
  bool is_open() const { return open_; }

  // A message to send. Errors: "empty", "too_long" (above kMaxMessageTextBytes: offer it as a
  // file), "bad_utf8", "queue_full" (no path, and the queue is full).
  Status send(std::string text);
  // A MESSAGE frame from the peer (any path: authenticity is the seal's, order the seq's).
  void on_frame(ByteView bytes);

  size_t waiting() const { return queue_.size(); }
  uint64_t rejected() const { return rejected_; }  // incoming messages dropped, all causes

 private:
  void transmit(const std::string& text);
  void reject(const Error& why);

  RandomFn rng_;
  Emit emit_;
  Log log_;
  std::optional<crypto::SecretKey> send_key_, recv_key_;  // message keys (derived)
  std::optional<crypto::SecretKey> send_data_;            // to tell the same keys again
  uint64_t send_seq_ = 0;                                 // last seq sent under send_key_
  uint64_t recv_seq_ = 0;                                 // last seq accepted under recv_key_
  bool open_ = false;
  bool via_server_ = false;
  size_t max_message_size_ = 0;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  uint64_t rejected_ = 0;
  std::map<std::string, uint64_t> rejected_by_cause_;
};

}  // namespace ferry::app
