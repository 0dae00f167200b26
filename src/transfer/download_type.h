// The MIME type a received file is offered with (its Blob, its download). The sender declares
// one in the MANIFEST, and it is attacker-controlled: a Blob URL belongs to Ferry's origin, so
// a file typed text/html or image/svg+xml that the browser renders (opened from the downloads
// bar, a preview, a new tab) would run the sender's script as Ferry. Only types a browser shows
// without running script are kept; every other type becomes application/octet-stream, which a
// browser only saves.
#pragma once

#include <string>
#include <string_view>

namespace ferry::transfer {

// What any type not on the safe list becomes.
constexpr std::string_view kOpaqueMimeType = "application/octet-stream";

// Returns the declared type, lower-cased and without parameters (";charset=..."), when it is
// on the safe list (common images, audio, video, text/plain, text/csv, application/pdf,
// archives, ...), else kOpaqueMimeType. Never text/html, image/svg+xml, any XML or XHTML type,
// JavaScript, or anything else a browser can run script from. Pure; never empty.
std::string safe_download_type(std::string_view declared);

}  // namespace ferry::transfer
