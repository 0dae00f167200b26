// Manifest encoding, strict parsing and chunk arithmetic.
#include "transfer/manifest.h"

#include <cassert>
#include <algorithm>
#include <set>
#include <string>

#include "transfer/byte_reader.h"
#include "transfer/file_name.h"

namespace ferry::transfer {

std::string FileEntry::path() const { return dir.empty() ? name : dir + "/" + name; }

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

bool dir_path_ok(const std::string& dir) {
  return dir.size() <= kMaxDirPathBytes &&
         static_cast<size_t>(std::count(dir.begin(), dir.end(), '/')) < kMaxDirDepth;
}

size_t encoded_size(const Manifest& m) {
  size_t n = 8 + 4;
  for (const auto& f : m.files) n += 4 + 8 + 2 + f.name.size() + 1 + f.mime.size() + 2 + f.dir.size();
  for (const auto& d : m.empty_dirs) n += 2 + d.size();
  return n;
}

std::string lower_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// "name (n).ext", keeping a short extension as sanitize_file_name does.
std::string numbered(const std::string& name, int n) {
  const size_t dot = name.rfind('.');
  const bool has_ext = dot != std::string::npos && dot > 0 && name.size() - dot - 1 <= kMaxKeptExtensionBytes;
  std::string stem = has_ext ? name.substr(0, dot) : name;
  const std::string ext = has_ext ? name.substr(dot) : std::string();
  const std::string suffix = " (" + std::to_string(n) + ")";
  // Cut the stem first (on a code point boundary), so that the suffix always survives.
  const size_t room = kMaxFileNameBytes - suffix.size() - ext.size();
  if (stem.size() > room) {
    size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(stem[cut]) & 0xC0) == 0x80) --cut;
    stem.resize(cut);
  }
  return sanitize_file_name(stem + suffix + ext);
}

}  // namespace

std::string sanitize_dir_path(std::string_view raw) {
  std::string out;
  std::string part;
  const auto flush = [&] {
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += sanitize_file_name(part);
    }
    part.clear();
  };
  for (char c : raw) {
    if (c == '/' || c == '\\') flush();
    else part += c;
  }
  flush();
  return out;
}

void make_paths_unique(Manifest& m) {
  // Every folder that exists because of a file or an empty folder, by its folded path.
  std::set<std::string> folders;
  const auto add_folders = [&folders](const std::string& dir) {
    for (size_t i = 0; i <= dir.size(); ++i) {
      if (i == dir.size() || dir[i] == '/') folders.insert(lower_ascii(dir.substr(0, i)));
    }
  };
  for (const auto& f : m.files) {
    if (!f.dir.empty()) add_folders(f.dir);
  }
  // An empty folder that holds a file (or is listed twice) is not empty: drop it.
  std::vector<std::string> kept;
  std::set<std::string> seen;
  for (auto& d : m.empty_dirs) {
    const std::string key = lower_ascii(d);
    if (folders.count(key) || !seen.insert(key).second) continue;
    kept.push_back(std::move(d));
  }
  for (const auto& d : kept) add_folders(d);
  m.empty_dirs = std::move(kept);
  std::set<std::string> taken;
  for (auto& f : m.files) {
    const std::string prefix = f.dir.empty() ? std::string() : lower_ascii(f.dir) + "/";
    const std::string original = f.name;
    for (int n = 2; folders.count(prefix + lower_ascii(f.name)) || taken.count(prefix + lower_ascii(f.name)); ++n) {
      f.name = numbered(original, n);
    }
    taken.insert(prefix + lower_ascii(f.name));
  }
}

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
    if (!dir_path_ok(f.dir)) return make_error("bad_manifest", "a folder path is too long or too deep");
  }
  if (m.empty_dirs.size() > kMaxEmptyDirs) {
    return make_error("bad_manifest", "the manifest lists more than " + std::to_string(kMaxEmptyDirs) +
                                          " empty folders");
  }
  for (const auto& d : m.empty_dirs) {
    if (d.empty() || !dir_path_ok(d)) return make_error("bad_manifest", "an empty folder's path is empty, too long or too deep");
  }
  if (encoded_size(m) > kMaxManifestBytes) {
    return make_error("bad_manifest", "the file list is too large for one transfer");
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
    put_u16(out, static_cast<uint16_t>(f.dir.size()));
    out.insert(out.end(), f.dir.begin(), f.dir.end());
  }
  put_u32(out, static_cast<uint32_t>(m.empty_dirs.size()));
  for (const auto& d : m.empty_dirs) {
    put_u16(out, static_cast<uint16_t>(d.size()));
    out.insert(out.end(), d.begin(), d.end());
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
    const uint16_t dir_len = r.u16();
    if (dir_len > kMaxDirPathBytes) return make_error("bad_manifest", "folder path too long");
    f.dir = r.str(dir_len);
    if (!r.ok()) return make_error("truncated", "manifest is truncated");
    m.files.push_back(std::move(f));
  }
  const uint32_t dir_count = r.u32();
  if (!r.ok()) return make_error("truncated", "manifest is truncated");
  if (dir_count > kMaxEmptyDirs) return make_error("bad_manifest", "too many empty folders");
  for (uint32_t i = 0; i < dir_count; ++i) {
    const uint16_t len = r.u16();
    if (len > kMaxDirPathBytes) return make_error("bad_manifest", "folder path too long");
    std::string d = r.str(len);
    if (!r.ok()) return make_error("truncated", "manifest is truncated");
    m.empty_dirs.push_back(std::move(d));
  }
  if (!r.at_end()) return make_error("trailing_bytes", "unexpected bytes after the manifest");
  auto valid = validate_manifest(m);
  if (!valid) return valid.error();
  // Sanitised paths can differ from what was validated (U+FFFD is longer than the byte it
  // replaces): validated again after.
  for (auto& f : m.files) {
    f.name = sanitize_file_name(f.name);
    f.dir = sanitize_dir_path(f.dir);
  }
  std::vector<std::string> dirs;
  for (auto& d : m.empty_dirs) {
    std::string clean = sanitize_dir_path(d);
    if (!clean.empty()) dirs.push_back(std::move(clean));
  }
  m.empty_dirs = std::move(dirs);
  make_paths_unique(m);
  auto clean = validate_manifest(m);
  if (!clean) return clean.error();
  return m;
}

}  // namespace ferry::transfer
