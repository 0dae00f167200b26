// The manifest: which files a transfer carries, their sizes and the chunk size. It travels
// sealed in a CONTROL frame; parsing is strict, and received names are sanitised.
//
// Binary layout (little-endian):
//   u32 chunk_size | u32 file_count | file_count x
//     ( u32 file_id | u64 size | u16 name_len | name (UTF-8) | u8 mime_len | mime (ASCII)
//       | u16 dir_len | dir (UTF-8) )
//   | u32 empty_dir_count | empty_dir_count x ( u16 len | path (UTF-8) )
//
// Folders: `dir` is the file's folder relative to what was sent ("" at the top, else
// components joined by '/', e.g. "Photos/2026"); `empty_dir` paths are folders with nothing
// in them, kept so that a tree arrives whole. A received path is attacker-controlled: each
// component is sanitised like a file name (no "..", separators, drive letters or reserved
// names survive), empty and "." components are dropped, and names that would land on the same
// path (case-insensitively, as Windows and macOS compare them) are made unique with " (2)".
//
// Chunking: a file of `size` bytes has ceil(size / chunk_size) chunks, and an EMPTY file has
// exactly ONE chunk of zero bytes (index 0, last). The empty chunk is sealed like any other,
// so even an empty file arrives authenticated and complete, through the same code path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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
// Most files in one transfer: a folder of 10,000 small files must go as one offer. Bounds the
// receiver's per-file state (a few hundred bytes each); kMaxManifestBytes bounds the wire.
constexpr size_t kMaxManifestFiles = 16384;
// Most empty folders in one transfer.
constexpr size_t kMaxEmptyDirs = 16384;
// Largest encoded manifest: it travels as one control message in parts (control.h), and the
// receiver holds it whole while it is assembled. 10,000 files with 100-byte paths take 1.3 MB.
constexpr size_t kMaxManifestBytes = 4 * 1024 * 1024;
// Longest folder path, before and after sanitising (Linux's PATH_MAX), and deepest nesting.
constexpr size_t kMaxDirPathBytes = 4096;
constexpr size_t kMaxDirDepth = 64;
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
  std::string dir = {};  // sanitised folder path, "" at the top (see the header comment)
  bool operator==(const FileEntry&) const = default;

  // dir + "/" + name, or name at the top.
  std::string path() const;
};

struct Manifest {
  uint32_t chunk_size = kDefaultChunkBytes;
  std::vector<FileEntry> files;
  std::vector<std::string> empty_dirs;  // sanitised folder paths with nothing in them
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

// A folder path from the sender's side or the wire as sanitised components joined by '/':
// split on '/' and '\\', empty and "." components dropped, each one through
// sanitize_file_name. "" when nothing is left.
std::string sanitize_dir_path(std::string_view raw);
// Renames files (" (2)", " (3)", ...) so that no two have the same path and none has the path
// of a folder, comparing ASCII case-insensitively; drops empty folders that are also the
// folder of a file, and repeated ones. Sender and receiver both apply it after sanitising.
void make_paths_unique(Manifest& manifest);

// Checks limits, unique non-reserved ids, and sizes within kMaxChunksPerFile.
Status validate_manifest(const Manifest& manifest);
// Requires a valid manifest (asserted).
Bytes encode_manifest(const Manifest& manifest);
// Strict: every limit above, no trailing bytes, printable-ASCII MIME; names are sanitised.
Result<Manifest> parse_manifest(ByteView bytes);

}  // namespace ferry::transfer
