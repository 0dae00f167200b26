// Static hosting decisions (see static_files.h).
#include "static_files.h"

#include <cstdio>

namespace ferry::server {
namespace {

// Hex digits of the content hash in a staged file name (cmake/stage_dist.cmake, kHashDigits).
constexpr size_t kContentHashDigits = 16;

struct CodingNames {
  std::string_view header;  // Content-Encoding
  std::string_view suffix;  // of the precompressed copy (cmake/stage_dist.cmake)
};
// Indexed by ContentCoding.
constexpr CodingNames kCodingNames[] = {{"", ""}, {"gzip", ".gz"}, {"br", ".br"}};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view extension(std::string_view path) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  return path.substr(dot);
}

}  // namespace

Result<std::string> resolve_target(std::string_view target) {
  auto bad = [] { return make_error("bad_path", "the path is not allowed"); };
  if (auto q = target.find_first_of("?#"); q != std::string_view::npos) target = target.substr(0, q);
  if (target.empty() || target[0] != '/') return bad();
  std::string path;
  for (size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return bad();
      int hi = hex_value(target[i + 1]), lo = hex_value(target[i + 2]);
      if (hi < 0 || lo < 0) return bad();
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return bad();
    path += c;
  }
  // Any ".." segment is refused outright, whether or not it would stay inside the root.
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0) return bad();
    start = end + 1;
  }
  if (path == "/" || path.starts_with("/j/") || path == "/j") return std::string("index.html");
  if (path.find("//") != std::string::npos || path.back() == '/') return bad();
  return path.substr(1);
}

std::string_view mime_type(std::string_view path) {
  auto ext = extension(path);
  struct Entry {
    std::string_view ext, type;
  };
  static constexpr Entry kTypes[] = {
      {".html", "text/html; charset=utf-8"},      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},  {".mjs", "text/javascript; charset=utf-8"},
      {".wasm", "application/wasm"},              {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},              {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},                  {".png", "image/png"},
      {".jpg", "image/jpeg"},                     {".jpeg", "image/jpeg"},
      {".ico", "image/x-icon"},                   {".webp", "image/webp"},
      {".ttf", "font/ttf"},                       {".otf", "font/otf"},
      {".woff", "font/woff"},                     {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},      {".map", "application/json"},
      {".data", "application/octet-stream"},
  };
  for (const auto& e : kTypes) {
    if (ext.size() == e.ext.size()) {
      bool same = true;
      for (size_t i = 0; i < ext.size(); ++i) {
        same = same && std::tolower(static_cast<unsigned char>(ext[i])) == e.ext[i];
      }
      if (same) return e.type;
    }
  }
  return "application/octet-stream";
}

bool is_hashed_name(std::string_view path) {
  auto ext = extension(path);
  if (ext.empty()) return false;
  std::string_view stem = path.substr(0, path.size() - ext.size());
  auto dot = stem.rfind('.');
  if (dot == std::string_view::npos || stem.size() - dot - 1 != kContentHashDigits) return false;
  for (char c : stem.substr(dot + 1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string_view cache_control(std::string_view path) {
  auto ext = extension(path);
  if (ext == ".html" || ext == ".htm" || path.ends_with("sw.js") || ext == ".webmanifest") return "no-cache";
  if (is_hashed_name(path)) return "public, max-age=31536000, immutable";
  return "public, max-age=3600";
}

std::string_view coding_name(ContentCoding coding) { return kCodingNames[static_cast<size_t>(coding)].header; }

std::string_view coding_suffix(ContentCoding coding) { return kCodingNames[static_cast<size_t>(coding)].suffix; }

std::string make_etag(uint64_t size, int64_t mtime_ns, ContentCoding coding) {
  char buf[64];
  std::string_view name = coding_name(coding);
  std::snprintf(buf, sizeof buf, "\"%llx-%llx%s%.*s\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime_ns), name.empty() ? "" : "-", static_cast<int>(name.size()),
                name.data());
  return buf;
}

std::vector<std::string_view> split_header_list(std::string_view header) {
  std::vector<std::string_view> items;
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.push_back(item);
    start = end + 1;
  }
  return items;
}

bool accepts_coding(std::string_view header, std::string_view wanted) {
  for (std::string_view item : split_header_list(header)) {
    std::string_view coding = item.substr(0, item.find(';'));
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != wanted && coding != "*") continue;
    auto q = item.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view qv = item.substr(q + 2);
    bool zero = !qv.empty() && qv[0] == '0';
    for (size_t i = 1; zero && i < qv.size(); ++i) zero = qv[i] == '0' || qv[i] == '.' || qv[i] == ' ';
    return !zero;
  }
  return false;
}

std::vector<ContentCoding> preferred_codings(std::string_view header) {
  // br first: it is 15-20% smaller than gzip -9 on the client (bench/firstload).
  std::vector<ContentCoding> codings;
  for (ContentCoding c : {ContentCoding::kBrotli, ContentCoding::kGzip}) {
    if (accepts_coding(header, coding_name(c))) codings.push_back(c);
  }
  codings.push_back(ContentCoding::kIdentity);
  return codings;
}

bool etag_matches(std::string_view header, std::string_view etag) {
  for (std::string_view item : split_header_list(header)) {
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
  }
  return false;
}

std::string content_security_policy(std::string_view host) {
  std::string h;
  for (char c : host) {
    // A Host header is attacker text: keep only what a host[:port] may contain.
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
        c == ':' || c == '[' || c == ']')
      h += c;
  }
  std::string connect = "'self'";
  if (!h.empty()) connect += " ws://" + h + " wss://" + h;
  return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
         "img-src 'self' data: blob:; font-src 'self'; connect-src " +
         connect +
         "; worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
         "frame-ancestors 'none'; form-action 'none'";
}

std::string_view placeholder_page() {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>Ferry</title></head>\n<body><h1>Ferry</h1>"
         "<p>The web client is not built yet. Build the wasm target (see the README), or start "
         "ferry-server with <code>--web-root</code> pointing at the built client.</p></body></html>\n";
}

}  // namespace ferry::server
