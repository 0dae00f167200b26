// Shared helpers for the transfer tests: fixed keys, deterministic randomness, and a direct
// in-process link between one Sender and one Receiver (no reordering; see simulation_test.cpp
// for the adversarial channel).
#pragma once

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "crypto/blake2b.h"
#include "crypto/chunk_aead.h"
#include "protocol/frame.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"

namespace ferry::transfer::test {

inline crypto::SecretKey key_from(uint8_t seed) {
  uint8_t k[crypto::kKeyBytes];
  for (size_t i = 0; i < sizeof k; ++i) k[i] = static_cast<uint8_t>(seed * 31 + i);
  return crypto::SecretKey(k);
}

// Deterministic randomness so that every run of a test is the same run.
inline RandomFn seeded_random(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>((*engine)() >> 56);
  };
}

// Pseudo-random file contents, fast enough for megabytes under node.
inline Bytes pseudo_random_bytes(size_t n, uint8_t seed) {
  Bytes out(n);
  unsigned char s[randombytes_SEEDBYTES] = {seed};
  if (n > 0) randombytes_buf_deterministic(out.data(), n, s);
  return out;
}

// One short control message sealed: exactly one frame.
inline Bytes seal_one(ControlSealer& sealer, const ControlMessage& message, const RandomFn& rng) {
  auto frames = sealer.seal(message, rng);
  if (frames.size() != 1) throw std::runtime_error("a short control message was sealed in parts");
  return frames.front();
}

inline protocol::Frame parse_ok(const Bytes& wire) {
  auto f = protocol::parse(wire);
  if (!f.ok()) throw std::runtime_error("test produced an unparsable frame: " + f.error().code);
  return std::move(f).value();
}

template <class T>
std::vector<T> commands_of(const std::vector<Command>& cmds) {
  std::vector<T> out;
  for (const auto& c : cmds) {
    if (const auto* t = std::get_if<T>(&c)) out.push_back(*t);
  }
  return out;
}

// A CHUNK of `file` (file id `file_id`, transfer 7, key_from(1)) sealed exactly as a real sender
// seals it, for tests that send what a sender should not (past its credit, before an answer).
inline Bytes sealed_chunk(const Bytes& file, uint32_t chunk_size, uint64_t index, uint32_t file_id = 0) {
  const uint64_t n = chunk_count(file.size(), chunk_size);
  const uint32_t len = chunk_length(file.size(), chunk_size, index);
  protocol::ChunkFrame frame;
  frame.transfer_id = 7;
  frame.file_id = file_id;
  frame.index = index;
  frame.last = index + 1 == n;
  const auto key = crypto::derive_file_key(key_from(1), 7, file_id);
  crypto::seal_chunk(frame.payload, key, crypto::ChunkId{7, file_id, index, frame.last},
                     ByteView(file.data() + index * chunk_size, len), seeded_random(index));
  return protocol::encode(frame);
}

// One sender, one receiver and their files, linked directly: frames are delivered in order at
// once, reads and read-backs are served from memory. Tests poke at it between steps.
struct Link {
  std::vector<Bytes> source;                 // sender's files
  std::map<uint32_t, Bytes> sink;            // receiver's files
  Sender sender;
  Receiver receiver;
  std::vector<Command> log;                  // every receiver command, in order
  std::vector<Bytes> to_sender;              // frames the receiver sent
  std::vector<Error> sender_errors;
  bool to_sender_open = true;                // false: frames to the sender are lost
  bool ack_writes = true;                    // false: writes wait for ack() (a slow disk)
  uint64_t unacked = 0;                      // bytes written but not yet acknowledged
  bool auto_accept = true;                   // the person accepts every file of an offer at once

  static Link make(std::vector<std::pair<std::string, Bytes>> files, uint32_t chunk_size,
                   uint8_t key_seed = 1, uint64_t window = kReceiveWindowBytes,
                   uint64_t reorder = kReorderBufferBytes) {
    std::vector<SourceFile> list;
    std::vector<Bytes> data;
    for (auto& [name, bytes] : files) {
      list.push_back({name, bytes.size(), "", ""});
      data.push_back(bytes);
    }
    return make_from(std::move(list), std::move(data), {}, chunk_size, key_seed, window, reorder);
  }

  // A folder: each path "dir/sub/name" is split at its last '/'.
  static Link make_tree(std::vector<std::pair<std::string, Bytes>> files, std::vector<std::string> empty_dirs,
                        uint32_t chunk_size) {
    std::vector<SourceFile> list;
    std::vector<Bytes> data;
    for (auto& [path, bytes] : files) {
      const size_t slash = path.rfind('/');
      const std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash);
      list.push_back({path.substr(slash == std::string::npos ? 0 : slash + 1), bytes.size(), "", dir});
      data.push_back(bytes);
    }
    return make_from(std::move(list), std::move(data), std::move(empty_dirs), chunk_size, 1, kReceiveWindowBytes,
                     kReorderBufferBytes);
  }

  static Link make_from(std::vector<SourceFile> list, std::vector<Bytes> data, std::vector<std::string> empty_dirs,
                        uint32_t chunk_size, uint8_t key_seed, uint64_t window, uint64_t reorder) {
    SenderOptions opt;
    opt.chunk_size = chunk_size;
    auto s = Sender::create(key_from(key_seed), 7, list, opt, seeded_random(1), empty_dirs);
    if (!s.ok()) throw std::runtime_error(s.error().message);
    return Link{data, {}, std::move(s).value(), Receiver(key_from(key_seed), 7, seeded_random(2), window, reorder),
                {}, {}, {}, true};
  }

  // Carries out receiver commands; frames back to the sender are delivered at once.
  void run(std::vector<Command> cmds) {
    for (size_t i = 0; i < cmds.size(); ++i) {
      Command c = cmds[i];
      log.push_back(c);
      if (auto* m = std::get_if<cmd::ManifestReceived>(&c); m && auto_accept) {
        // After the commands already queued (the HAVE that answers the MANIFEST goes first).
        std::vector<uint32_t> ids;
        for (const auto& f : m->manifest.files) ids.push_back(f.id);
        auto more = receiver.accept(ids);
        cmds.insert(cmds.end(), more.begin(), more.end());
      } else if (auto* w = std::get_if<cmd::Write>(&c)) {
        auto& file = sink[w->file_id];
        const auto end = static_cast<size_t>(w->offset) + w->bytes.size();
        if (file.size() < end) file.resize(end);
        std::copy(w->bytes.begin(), w->bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(w->offset));
        if (ack_writes) {
          auto more = receiver.on_written(w->bytes.size());  // a memory sink: written at once
          cmds.insert(cmds.end(), more.begin(), more.end());
        } else {
          unacked += w->bytes.size();
        }
      } else if (auto* rb = std::get_if<cmd::ReadBack>(&c)) {
        const Bytes& file = sink[rb->file_id];
        ByteView v(file.data() + rb->offset, rb->length);
        auto more = receiver.on_read_back(rb->file_id, rb->index, v);
        cmds.insert(cmds.end(), more.begin(), more.end());
      } else if (auto* s = std::get_if<cmd::Send>(&c)) {
        to_sender.push_back(s->frame);
        if (to_sender_open) deliver_to_sender(s->frame);
      }
    }
  }

  // The sender reconnects (a new epoch) and the receiver's answers stay in to_sender, unheard:
  // the test delivers them, or replays older frames instead.
  void reconnect_unheard(const crypto::SecretKey& key) {
    sender.disconnect();
    to_sender_open = false;
    deliver_to_receiver(sender.connect(key));
    to_sender_open = true;
  }

  // The disk reports `bytes` of the unacknowledged writes done.
  void ack(uint64_t bytes) {
    unacked -= std::min(bytes, unacked);
    run(receiver.on_written(bytes));
  }

  void deliver_to_receiver(const Bytes& frame) { run(receiver.on_frame(parse_ok(frame))); }
  void deliver_to_receiver(const std::vector<Bytes>& frames) {
    for (const auto& f : frames) deliver_to_receiver(f);
  }
  void deliver_to_sender(const Bytes& frame) {
    auto r = sender.on_frame(parse_ok(frame));
    if (!r) {
      sender_errors.push_back(r.error());
      return;
    }
    deliver_to_receiver(*r);
  }

  // Reads and delivers until the sender has nothing more to read.
  void pump(size_t max_reads = SIZE_MAX) {
    for (size_t n = 0; n < max_reads; ++n) {
      auto r = sender.next_read(0);
      if (!r) return;
      const Bytes& file = source[r->file_id];
      auto frames = sender.on_read(r->file_id, r->index,
                                   ByteView(file.data() + r->offset, r->length));
      if (!frames) throw std::runtime_error(frames.error().message);
      deliver_to_receiver(*frames);
    }
  }
};

// The control messages a receiver sent, opened as the sender would (any epoch).
inline std::vector<ControlBody> bodies_to_sender(const Link& link) {
  ControlOpener opener(key_from(1), 7, protocol::Origin::kReceiver);
  std::vector<ControlBody> out;
  for (const auto& f : link.to_sender) {
    auto msg = opener.open(std::get<protocol::ControlFrame>(parse_ok(f)), nullptr);
    if (!msg.ok()) throw std::runtime_error("a receiver's control message did not open: " + msg.error().code);
    if (*msg) out.push_back((*msg)->body);  // else a part of a longer one
  }
  return out;
}

}  // namespace ferry::transfer::test
