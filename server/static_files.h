// Static hosting decisions as plain functions: which file a request path names, its MIME type,
// cache policy and ETag, and the security headers. The Beast glue only reads the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace ferry::server {

// Maps a request target ("/app.wasm?x=1", "/j/<room>") to a path relative to the web root.
// "/" and deep links "/j/..." give "index.html". Rejects "..", "\\", NUL, control characters,
// bad percent-escapes and anything not starting with "/" (error "bad_path").
Result<std::string> resolve_target(std::string_view target);

std::string_view mime_type(std::string_view path);

// Whether a file name carries its content hash (cmake/stage_dist.cmake: "ferry.<16 hex>.wasm"):
// such a file never changes, a new build has a new name.
bool is_hashed_name(std::string_view path);

// Hashed names are kept for a year without revalidation (immutable). HTML, the manifest and the
// service worker are revalidated on every load so a new deploy shows at once; other assets may
// be cached briefly and are revalidated by ETag.
std::string_view cache_control(std::string_view path);

// The body a response carries: the file, or its precompressed copy beside it (name.br, name.gz).
enum class ContentCoding { kIdentity, kGzip, kBrotli };  // in the order of kCodingNames (.cpp)

// The Content-Encoding value ("" for identity) and the suffix of the precompressed copy.
std::string_view coding_name(ContentCoding coding);
std::string_view coding_suffix(ContentCoding coding);

// A strong validator from size and modification time, and which body it is.
std::string make_etag(uint64_t size, int64_t mtime_ns, ContentCoding coding);

// The items of a comma-separated header value, trimmed, empty ones dropped.
std::vector<std::string_view> split_header_list(std::string_view header);

// Whether an Accept-Encoding header value allows the coding ("gzip", "br"); "*" allows any, and
// q=0 refuses.
bool accepts_coding(std::string_view accept_encoding, std::string_view coding);

// The codings to try for a request, best first (br, then gzip), identity last; the server sends
// the first one whose precompressed copy exists.
std::vector<ContentCoding> preferred_codings(std::string_view accept_encoding);

// Whether an If-None-Match header value matches the ETag ("*" and lists included).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// The Content-Security-Policy: same-origin everything, WebAssembly compilation allowed, the
// signalling WebSocket on the same host.
std::string content_security_policy(std::string_view host);

// Served when the web root has no index.html yet.
std::string_view placeholder_page();

}  // namespace ferry::server
