// Have-map: which chunks of one file the receiver has verified and written. It is persisted
// with the partial file (so a reload can resume) and sent, as runs, to the sender on every
// (re)connect so that the sender sends only what is missing.
#pragma once

#include <cstdint>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace ferry::transfer {

// A run of consecutive chunks [start, start + count).
struct ChunkRun {
  uint64_t start = 0;
  uint64_t count = 0;
  bool operator==(const ChunkRun&) const = default;
};

class HaveMap {
 public:
  HaveMap() = default;
  explicit HaveMap(uint64_t chunk_count);

  uint64_t chunk_count() const { return chunk_count_; }
  bool has(uint64_t index) const;
  void set(uint64_t index);
  uint64_t count() const { return set_count_; }
  bool complete() const { return set_count_ == chunk_count_; }

  // Runs of chunks that are set, in increasing order. With `max_runs`, only the first runs are
  // returned: a shorter have-map only makes the sender resend more, never less.
  std::vector<ChunkRun> runs(size_t max_runs = SIZE_MAX) const;
  // Builds a map from runs; rejects runs outside [0, chunk_count) or overlapping/unordered.
  static Result<HaveMap> from_runs(uint64_t chunk_count, const std::vector<ChunkRun>& runs);

  // Persistent form: u64 chunk_count || bitset (LSB first), exactly ceil(chunk_count / 8) bytes.
  Bytes serialize() const;
  static Result<HaveMap> parse(ByteView bytes);

  // Plaintext bytes in the chunks set, for a file of `size` bytes cut in `chunk_size` chunks.
  uint64_t bytes(uint64_t size, uint32_t chunk_size) const;

  bool operator==(const HaveMap&) const = default;

 private:
  uint64_t chunk_count_ = 0;
  uint64_t set_count_ = 0;
  std::vector<uint8_t> bits_;
};

}  // namespace ferry::transfer
