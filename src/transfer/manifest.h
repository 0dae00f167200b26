// The manifest: which files a transfer carries, their sizes and the chunk size. It travels
// sealed in a CONTROL frame; parsing is strict, and received names are sanitised.
//
// Binary layout (little-endian):
//   u32 chunk_size | u32 file_count | file_count x
//     ( u32 file_id | u64 size | u16 name_len | name (UTF-8) | u8 mime_len | mime (ASCII) )
//
// Chunking: a file of `size` bytes has ceil(size / chunk_size) chunks, and an EMPTY file has
// exactly ONE chunk of zero bytes (index 0, last). The empty chunk is sealed like any other,
// so even an empty file arrives authenticated and complete, through the same code path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace ferry::transfer {

// Default plaintext chunk: 64 KiB fits every browser's DataChannel max-message-size
// (Chromium: 256 KiB) and measured 25 MB/s here, within 10% of 256 KiB messages.
constexpr uint32_t kDefaultChunkBytes = 64 * 1024;
// Smallest chunk a manifest may declare: smaller chunks only multiply per-frame overhead
// (63 bytes each) and have-map size. Tests use it to make many chunks from small files.
constexpr uint32_t kMinChunkBytes = 1024;
// Largest chunk: the frame layer's limit (1 MiB of plaintext).
constexpr uint32_t kMaxChunkBytes = 1024 * 1024;
// Most files in one transfer: bounds the manifest (worst case about 1.2 KiB per entry, so
// under 1 MiB of payload) and the receiver's per-file state.
constexpr size_t kMaxManifestFiles = 512;
// Longest name accepted on the wire, before sanitising cuts it to kMaxFileNameBytes: a
// lenient limit so that a slightly long name is shortened nicely rather than refused.
constexpr size_t kMaxWireNameBytes = 1024;
// Longest MIME type (RFC 6838 allows 127 characters per part; real ones are far shorter).
constexpr size_t kMaxMimeBytes = 127;
// Most chunks per file: 2^24 keeps a have-map bitset at 2 MiB and allows 1 TiB at 64 KiB.
constexpr uint64_t kMaxChunksPerFile = uint64_t{1} << 24;
// Most chunks in all files of one transfer: 2^25 keeps the receiver's have-maps within 4 MiB
// of wasm heap whatever a peer declares, and still allows 2 TiB at 64 KiB chunks.
constexpr uint64_t kMaxChunksPerTransfer = uint64_t{1} << 25;
// File ids at or above this value are reserved for control messages (see control.h).
constexpr uint32_t kFirstReservedFileId = 0xFFFFFFF0;

struct FileEntry {
  uint32_t id = 0;
  std::string name;  // sanitised
  uint64_t size = 0;
  std::string mime;  // may be empty
  bool operator==(const FileEntry&) const = default;
};

struct Manifest {
  uint32_t chunk_size = kDefaultChunkBytes;
  std::vector<FileEntry> files;
  bool operator==(const Manifest&) const = default;

  const FileEntry* find(uint32_t file_id) const;
};

// Chunks in a file of `size` bytes (at least 1: see the header comment on empty files).
uint64_t chunk_count(uint64_t size, uint32_t chunk_size);
// Plaintext length of chunk `index`.
uint32_t chunk_length(uint64_t size, uint32_t chunk_size, uint64_t index);
// Plaintext bytes in the chunks set in `count` chunks starting from the first, for progress:
// exact when the last chunk is among them (`includes_last`).
uint64_t bytes_in_chunks(uint64_t size, uint32_t chunk_size, uint64_t count, bool includes_last);

// Checks limits, unique non-reserved ids, and sizes within kMaxChunksPerFile.
Status validate_manifest(const Manifest& manifest);
// Requires a valid manifest (asserted).
Bytes encode_manifest(const Manifest& manifest);
// Strict: every limit above, no trailing bytes, printable-ASCII MIME; names are sanitised.
Result<Manifest> parse_manifest(ByteView bytes);

}  // namespace ferry::transfer
