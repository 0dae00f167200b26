// Have-map bitset and its run and persisted encodings.
#include "transfer/have_map.h"

#include <cassert>
#include <string>

#include "transfer/byte_reader.h"
#include "transfer/manifest.h"

namespace ferry::transfer {

HaveMap::HaveMap(uint64_t chunk_count)
    : chunk_count_(chunk_count), bits_(static_cast<size_t>((chunk_count + 7) / 8), 0) {
  assert(chunk_count <= kMaxChunksPerFile);
}

bool HaveMap::has(uint64_t index) const {
  if (index >= chunk_count_) return false;
  return (bits_[static_cast<size_t>(index / 8)] >> (index % 8)) & 1;
}

void HaveMap::set(uint64_t index) {
  assert(index < chunk_count_);
  auto& byte = bits_[static_cast<size_t>(index / 8)];
  const auto mask = static_cast<uint8_t>(1u << (index % 8));
  if ((byte & mask) == 0) {
    byte = static_cast<uint8_t>(byte | mask);
    ++set_count_;
  }
}

uint64_t HaveMap::bytes(uint64_t size, uint32_t chunk_size) const {
  return bytes_in_chunks(size, chunk_size, set_count_,
                         chunk_count_ > 0 && has(chunk_count_ - 1));
}

std::vector<ChunkRun> HaveMap::runs(size_t max_runs) const {
  std::vector<ChunkRun> out;
  uint64_t i = 0;
  while (i < chunk_count_ && out.size() < max_runs) {
    if (!has(i)) {
      ++i;
      continue;
    }
    const uint64_t start = i;
    while (i < chunk_count_ && has(i)) ++i;
    out.push_back({start, i - start});
  }
  return out;
}

Result<HaveMap> HaveMap::from_runs(uint64_t chunk_count, const std::vector<ChunkRun>& runs) {
  if (chunk_count > kMaxChunksPerFile) return make_error("oversize", "have-map is too large");
  HaveMap map(chunk_count);
  uint64_t next_allowed = 0;
  for (const auto& run : runs) {
    if (run.count == 0 || run.start < next_allowed || run.start > chunk_count ||
        run.count > chunk_count - run.start) {
      return make_error("bad_have_map", "have-map run is empty, unordered or out of range");
    }
    for (uint64_t i = run.start; i < run.start + run.count; ++i) map.set(i);
    next_allowed = run.start + run.count;
  }
  return map;
}

Bytes HaveMap::serialize() const {
  Bytes out;
  put_u64(out, chunk_count_);
  out.insert(out.end(), bits_.begin(), bits_.end());
  return out;
}

Result<HaveMap> HaveMap::parse(ByteView bytes) {
  ByteReader r(bytes);
  const uint64_t count = r.u64();
  if (!r.ok()) return make_error("truncated", "have-map is truncated");
  if (count > kMaxChunksPerFile) return make_error("oversize", "have-map is too large");
  const size_t nbytes = static_cast<size_t>((count + 7) / 8);
  if (r.remaining() != nbytes) {
    return make_error("bad_length", "have-map holds " + std::to_string(r.remaining()) +
                                        " bitset bytes, expected " + std::to_string(nbytes));
  }
  HaveMap map(count);
  ByteView bits = r.view(nbytes);
  for (uint64_t i = 0; i < count; ++i) {
    if ((bits[static_cast<size_t>(i / 8)] >> (i % 8)) & 1) map.set(i);
  }
  // Bits past the end must be clear, so that one map has exactly one encoding.
  if (count % 8 != 0 && (bits[nbytes - 1] >> (count % 8)) != 0) {
    return make_error("bad_have_map", "have-map has bits set past its last chunk");
  }
  return map;
}

}  // namespace ferry::transfer
