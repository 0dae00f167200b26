// Manifest encoding, strict parsing and chunk arithmetic.
#include "transfer/manifest.h"

#include <cassert>
#include <algorithm>
#include <set>
#include <string>

#include "transfer/byte_reader.h"
#include "transfer/file_name.h"

namespace ferry::transfer {

const FileEntry* Manifest::find(uint32_t file_id) const {
  for (const auto& f : files) {
    if (f.id == file_id) return &f;
  }
  return nullptr;
}

uint64_t chunk_count(uint64_t size, uint32_t chunk_size) {
  assert(chunk_size > 0);
  return size == 0 ? 1 : (size - 1) / chunk_size + 1;
}

uint32_t chunk_length(uint64_t size, uint32_t chunk_size, uint64_t index) {
  const uint64_t offset = index * chunk_size;
  if (offset >= size) return 0;
  return static_cast<uint32_t>(std::min<uint64_t>(chunk_size, size - offset));
}

uint64_t bytes_in_chunks(uint64_t size, uint32_t chunk_size, uint64_t count, bool includes_last) {
  if (count == 0) return 0;
  if (!includes_last) return std::min(size, count * chunk_size);
  const uint64_t n = chunk_count(size, chunk_size);
  return (count - 1) * chunk_size + chunk_length(size, chunk_size, n - 1);
}

namespace {

bool printable_ascii(const std::string& s) {
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

}  // namespace

Status validate_manifest(const Manifest& m) {
  if (m.chunk_size < kMinChunkBytes || m.chunk_size > kMaxChunkBytes) {
    return make_error("bad_manifest", "chunk size " + std::to_string(m.chunk_size) +
                                          " is outside the allowed range");
  }
  if (m.files.empty()) return make_error("bad_manifest", "the manifest lists no files");
  if (m.files.size() > kMaxManifestFiles) {
    return make_error("bad_manifest", "the manifest lists more than " +
                                          std::to_string(kMaxManifestFiles) + " files");
  }
  std::set<uint32_t> ids;
  uint64_t total_chunks = 0;
  for (const auto& f : m.files) {
    if (f.id >= kFirstReservedFileId) return make_error("bad_manifest", "reserved file id");
    if (!ids.insert(f.id).second) return make_error("bad_manifest", "duplicate file id");
    if (f.size > uint64_t{m.chunk_size} * kMaxChunksPerFile) {
      return make_error("bad_manifest", "file \"" + f.name + "\" is too large");
    }
    total_chunks += chunk_count(f.size, m.chunk_size);
    if (total_chunks > kMaxChunksPerTransfer) {
      return make_error("bad_manifest", "the files are too large for one transfer");
    }
    if (f.name.empty() || f.name.size() > kMaxWireNameBytes) {
      return make_error("bad_manifest", "file name is empty or too long");
    }
    if (f.mime.size() > kMaxMimeBytes || !printable_ascii(f.mime)) {
      return make_error("bad_manifest", "MIME type is too long or not printable ASCII");
    }
  }
  return Ok{};
}

Bytes encode_manifest(const Manifest& m) {
  assert(validate_manifest(m).ok());
  Bytes out;
  put_u32(out, m.chunk_size);
  put_u32(out, static_cast<uint32_t>(m.files.size()));
  for (const auto& f : m.files) {
    put_u32(out, f.id);
    put_u64(out, f.size);
    put_u16(out, static_cast<uint16_t>(f.name.size()));
    out.insert(out.end(), f.name.begin(), f.name.end());
    out.push_back(static_cast<uint8_t>(f.mime.size()));
    out.insert(out.end(), f.mime.begin(), f.mime.end());
  }
  return out;
}

Result<Manifest> parse_manifest(ByteView bytes) {
  ByteReader r(bytes);
  Manifest m;
  m.chunk_size = r.u32();
  const uint32_t count = r.u32();
  if (!r.ok()) return make_error("truncated", "manifest is truncated");
  // Check the count before reserving anything for it.
  if (count == 0 || count > kMaxManifestFiles) {
    return make_error("bad_manifest", "manifest file count " + std::to_string(count) +
                                          " is outside the allowed range");
  }
  for (uint32_t i = 0; i < count; ++i) {
    FileEntry f;
    f.id = r.u32();
    f.size = r.u64();
    const uint16_t name_len = r.u16();
    if (name_len > kMaxWireNameBytes) return make_error("bad_manifest", "file name too long");
    f.name = r.str(name_len);
    const uint8_t mime_len = r.u8();
    f.mime = r.str(mime_len);
    if (!r.ok()) return make_error("truncated", "manifest is truncated");
    m.files.push_back(std::move(f));
  }
  if (!r.at_end()) return make_error("trailing_bytes", "unexpected bytes after the manifest");
  auto valid = validate_manifest(m);
  if (!valid) return valid.error();
  for (auto& f : m.files) f.name = sanitize_file_name(f.name);
  return m;
}

}  // namespace ferry::transfer
