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

// HTML and the service worker are revalidated on every load so a new deploy shows at once;
// other assets may be cached briefly and are revalidated by ETag.
std::string_view cache_control(std::string_view path);

// A strong validator from size and modification time (and whether the body is the .gz).
std::string make_etag(uint64_t size, int64_t mtime_ns, bool gzip);

// The items of a comma-separated header value, trimmed, empty ones dropped.
std::vector<std::string_view> split_header_list(std::string_view header);

// Whether an Accept-Encoding header value allows gzip (q=0 refuses it).
bool accepts_gzip(std::string_view accept_encoding);

// Whether an If-None-Match header value matches the ETag ("*" and lists included).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// The Content-Security-Policy: same-origin everything, WebAssembly compilation allowed, the
// signalling WebSocket on the same host.
std::string content_security_policy(std::string_view host);

// Served when the web root has no index.html yet.
std::string_view placeholder_page();

}  // namespace ferry::server
