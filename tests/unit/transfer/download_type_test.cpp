// The type a received file is offered with: only script-free types survive.
#include "transfer/download_type.h"

#include <catch2/catch.hpp>
#include <string>

using ferry::transfer::kOpaqueMimeType;
using ferry::transfer::safe_download_type;

TEST_CASE("script-capable declared types are offered as application/octet-stream") {
  for (const char* evil : {"text/html",
                           "TEXT/HTML",
                           "text/html; charset=utf-8",
                           "image/svg+xml",
                           "application/xhtml+xml",
                           "application/javascript",
                           "text/javascript",
                           "application/ecmascript",
                           "text/xml",
                           "application/xml",
                           "text/xsl",
                           "application/x-shockwave-flash",
                           "multipart/x-mixed-replace",
                           "application/wasm",
                           "text/vtt",
                           "application/json+html",
                           "image/svg",
                           "image/png+xml",
                           " text/html",
                           "text/html\t",
                           "application/pdf+html",
                           "application/rss+xml"}) {
    INFO(evil);
    CHECK(safe_download_type(evil) == kOpaqueMimeType);
  }
}

TEST_CASE("common passive types keep the declared type") {
  for (const char* ok :
       {"image/png", "image/jpeg", "image/gif", "image/webp", "audio/mpeg", "audio/ogg",
        "video/mp4", "video/webm", "text/plain", "application/pdf", "application/zip"}) {
    INFO(ok);
    CHECK(safe_download_type(ok) == ok);
  }
}

TEST_CASE("a safe type is normalised: lower case, no parameters, no padding") {
  CHECK(safe_download_type("Image/PNG") == "image/png");
  CHECK(safe_download_type("text/plain; charset=utf-8") == "text/plain");
  CHECK(safe_download_type(" video/mp4 ") == "video/mp4");
}

TEST_CASE("an empty or malformed declared type becomes application/octet-stream") {
  CHECK(safe_download_type("") == kOpaqueMimeType);
  CHECK(safe_download_type(";") == kOpaqueMimeType);
  CHECK(safe_download_type("image") == kOpaqueMimeType);
  CHECK(safe_download_type("image/") == kOpaqueMimeType);
  CHECK(safe_download_type(std::string("image/png\0html", 14)) == kOpaqueMimeType);
  CHECK(safe_download_type("image/png\r\nX: y") == kOpaqueMimeType);
}
