// Text messages: see messages.h for the sealing and the replay rules.
#include "app/messages.h"

#include <sodium.h>

#include <utility>

#include "util/utf8.h"

namespace ferry::app {

namespace {
crypto::ChunkId message_id(uint64_t seq) {
  return crypto::ChunkId{kMessageTransferId, kMessageFileId, seq, false};
}
crypto::SecretKey message_key(const crypto::SecretKey& data_key) {
  return crypto::derive_file_key(data_key, kMessageTransferId, kMessageFileId);
}
}  // namespace

Messages::Messages(RandomFn rng, Emit emit, Log log)
    : rng_(std::move(rng)), emit_(std::move(emit)), log_(std::move(log)) {}

void Messages::set_keys(const crypto::SecretKey& send_data, const crypto::SecretKey& recv_data) {
  if (send_data_ && sodium_memcmp(send_data_->data(), send_data.data(), crypto::kKeyBytes) == 0) {
    return;
  }
  send_data_ = send_data;
  send_key_ = message_key(send_data);
  recv_key_ = message_key(recv_data);
  send_seq_ = 0;
  recv_seq_ = 0;
}

void Messages::open(bool via_server, size_t max_message_size) {
  open_ = true;
  via_server_ = via_server;
  max_message_size_ = max_message_size;
  if (!send_key_ || queue_.empty()) return;
  const size_t n = queue_.size();
  while (!queue_.empty()) {
    transmit(queue_.front());
    queue_.pop_front();
  }
  queued_bytes_ = 0;
  log_(LogKind::kInfo,
       n == 1 ? "Sent the waiting message" : "Sent " + std::to_string(n) + " waiting messages");
}

void Messages::close() {
  open_ = false;
}

Status Messages::send(std::string text) {
  if (text.empty()) return make_error("empty", "Type or paste a message first.");
  if (text.size() > protocol::kMaxMessageTextBytes) {
    return make_error("too_long", "This text is longer than 64 KiB: send it as a file instead.");
  }
  if (!is_valid_utf8(text)) {
    return make_error("bad_utf8", "This text is not valid UTF-8 and cannot be sent.");
  }
  const bool now = open_ && send_key_;
  if (!now && (queue_.size() >= kMaxQueuedMessages ||
               queued_bytes_ + text.size() > kMaxQueuedMessageBytes)) {
    return make_error(
        "queue_full",
        "Too many messages are waiting for the connection. Send this one once the other device "
        "is connected.");
  }
  log_(LogKind::kMessageSent, text);
  if (now) {
    transmit(text);
  } else {
    queued_bytes_ += text.size();
    queue_.push_back(std::move(text));
    log_(LogKind::kInfo, "The message waits for the connection to the other device");
  }
  return Ok{};
}

void Messages::transmit(const std::string& text) {
  Bytes plain;
  plain.reserve(1 + text.size());
  plain.push_back(static_cast<uint8_t>(MessageKind::kText));
  plain.insert(plain.end(), text.begin(), text.end());
  protocol::MessageFrame frame;
  frame.seq = ++send_seq_;
  crypto::seal_chunk(frame.payload, *send_key_, message_id(frame.seq), plain, rng_);
  sodium_memzero(plain.data(), plain.size());
  Bytes wire = protocol::encode(frame);
  if (max_message_size_ != 0 && wire.size() > max_message_size_) {
    // The peer's channel takes less per message than the longest text (a browser announcing a
    // small a=max-message-size): sending it would close the channel.
    log_(LogKind::kInfo, "A message was too long for this connection (" +
                             std::to_string(max_message_size_) +
                             " bytes at most): send it as a file instead");
    return;
  }
  emit_(cmd::SendFrame{std::move(wire), via_server_});
}

void Messages::reject(const Error& why) {
  ++rejected_;
  if (rejected_by_cause_[why.code]++ % kRejectedMessageLogEvery == 0) {
    log_(LogKind::kInfo, why.message);
  }
}

void Messages::on_frame(ByteView bytes) {
  auto frame = protocol::parse_message(bytes);
  if (!frame) {
    return reject(
        make_error(frame.error().code, "Dropped a malformed message (" + frame.error().code + ")"));
  }
  if (!recv_key_) {
    return reject(
        make_error("no_keys", "Dropped a message that came before the connection was secured"));
  }
  Bytes plain;
  if (!crypto::open_chunk(plain, *recv_key_, message_id(frame->seq), frame->payload)) {
    return reject(
        make_error("bad_mac",
                   "Dropped a message that failed authentication (altered, or not from the "
                   "other device)"));
  }
  if (frame->seq <= recv_seq_) {
    return reject(make_error("replay", "Dropped a replayed or reordered message"));
  }
  // Authentic and fresh: whatever it holds, the peer wrote it, so its seq is used up.
  recv_seq_ = frame->seq;
  if (plain.empty() || plain[0] != static_cast<uint8_t>(MessageKind::kText)) {
    return reject(
        make_error("unknown_kind", "Dropped a message of a kind this version does not know"));
  }
  const std::string_view text = as_string(ByteView(plain).subspan(1));
  if (text.empty()) return reject(make_error("empty", "Dropped an empty message"));
  if (text.size() > protocol::kMaxMessageTextBytes) {
    return reject(make_error("too_long", "Refused a message longer than 64 KiB"));
  }
  if (!is_valid_utf8(text)) {
    return reject(make_error(
        "bad_utf8", "Refused a message from the other device: its text is not valid UTF-8"));
  }
  log_(LogKind::kMessageReceived, std::string(text));
}

}  // namespace ferry::app
