// The safe list of download types: see download_type.h.
#include "transfer/download_type.h"

#include <algorithm>
#include <array>

namespace ferry::transfer {
namespace {

// Types every browser either shows passively (images, media, plain text, PDF in a sandboxed
// viewer) or only saves. Exact matches only: a prefix rule such as "image/*" would let
// image/svg+xml (script-capable) through. Anything XML-based is absent on purpose (XHTML,
// SVG and XSLT can all run script), as is text/html, text/javascript and every application/*
// type a browser might hand to a script engine.
constexpr std::string_view kSafeTypes[] = {
    // images (raster only: no SVG)
    "image/apng",
    "image/avif",
    "image/bmp",
    "image/gif",
    "image/heic",
    "image/heif",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/webp",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    // audio
    "audio/aac",
    "audio/flac",
    "audio/mp4",
    "audio/mpeg",
    "audio/ogg",
    "audio/opus",
    "audio/wav",
    "audio/webm",
    "audio/x-wav",
    "audio/x-flac",
    // video
    "video/mp4",
    "video/mpeg",
    "video/ogg",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "video/x-msvideo",
    // text shown as text
    "text/plain",
    "text/csv",
    "text/markdown",
    // documents and archives
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/x-tar",
    "application/x-7z-compressed",
    "application/x-bzip2",
    "application/x-xz",
    "application/vnd.rar",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/octet-stream",
};

}  // namespace

std::string safe_download_type(std::string_view declared) {
  // The essence: up to the parameters, trimmed of spaces and tabs, lower case.
  std::string_view essence = declared.substr(0, declared.find(';'));
  while (!essence.empty() && (essence.front() == ' ' || essence.front() == '\t'))
    essence.remove_prefix(1);
  while (!essence.empty() && (essence.back() == ' ' || essence.back() == '\t'))
    essence.remove_suffix(1);
  std::string lower(essence);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  for (auto t : kSafeTypes) {
    if (lower == t) return lower;
  }
  return std::string(kOpaqueMimeType);
}

}  // namespace ferry::transfer
