// The staged web root (cmake/stage_dist.cmake) through the real server: a wasm build folder,
// with CMake's files and static libraries beside the page's, is staged into dist/, and the
// server serves dist/ only: hashed names as immutable, the .br copy to a client that accepts
// brotli, the .gz copy to one that accepts gzip only, the file itself otherwise.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness.h"

using namespace ferry::itest;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// A fake wasm build folder (the page's files and the build's leftovers), staged into dist/.
struct StagedRoot {
  StagedRoot() {
    char tmpl[] = "/tmp/ferry-dist-XXXXXX";
    base = mkdtemp(tmpl);
    build = base / "web";
    dist = base / "dist";
    fs::create_directories(build);
    for (const char* shell : {"index.html", "boot.js", "ferry.css", "sw.js", "manifest.webmanifest",
                              "storage-worker.js", "icon-192.png", "icon-512.png"}) {
      fs::copy_file(fs::path(FERRY_SOURCE_DIR) / "shell" / shell, build / shell);
    }
    // Long enough that compression pays, and names ferry.wasm as Emscripten's output does.
    std::string js = "var wasmBinaryFile = 'ferry.wasm';\n";
    for (int i = 0; i < 200; ++i) js += "console.log('ferry line " + std::to_string(i) + "');\n";
    write_file(build / "ferry.js", js);
    write_file(build / "ferry.wasm", std::string("\0asm\1\0\0\0", 8) + std::string(4096, '\0'));
    for (const char* leftover : {"libferry_imgui.a", "cmake_install.cmake", "CTestTestfile.cmake"}) {
      write_file(build / leftover, "build output, not for the web");
    }
    const std::string cmd = std::string(FERRY_CMAKE_BIN) + " -DFERRY_WEB_BUILD=" + build.string() +
                            " -DFERRY_DIST=" + dist.string() + " -DFERRY_GZIP=" + FERRY_GZIP_BIN +
                            " -DFERRY_BROTLI=" + FERRY_BROTLI_BIN + " -P " + FERRY_SOURCE_DIR +
                            "/cmake/stage_dist.cmake >/dev/null";
    staged = std::system(cmd.c_str()) == 0;
  }
  ~StagedRoot() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  // The staged name of `stem`.<hash>`ext`, or "" when there is none.
  std::string hashed(const std::string& stem, const std::string& ext) const {
    const std::regex name(stem + "\\.[0-9a-f]{16}\\" + ext);
    for (const auto& e : fs::directory_iterator(dist)) {
      if (std::regex_match(e.path().filename().string(), name)) return e.path().filename().string();
    }
    return "";
  }
  fs::path base, build, dist;
  bool staged = false;
};

}  // namespace

TEST_CASE("the staged web root holds only the page's files, under hashed names") {
  StagedRoot web;
  REQUIRE(web.staged);
  for (const char* leftover : {"libferry_imgui.a", "cmake_install.cmake", "CTestTestfile.cmake", "ferry.js",
                               "ferry.wasm", "boot.js"}) {
    CHECK_FALSE(fs::exists(web.dist / leftover));
  }
  const std::string js = web.hashed("ferry", ".js"), wasm = web.hashed("ferry", ".wasm");
  REQUIRE_FALSE(js.empty());
  REQUIRE_FALSE(wasm.empty());
  // The references follow the names: the page names the hashed script, the script the hashed
  // wasm, and the service worker caches the hashed names under this build's id.
  const std::string index = read_file(web.dist / "index.html");
  CHECK(index.find("src=\"/" + js + "\"") != std::string::npos);
  CHECK(index.find("href=\"/" + web.hashed("ferry", ".css") + "\"") != std::string::npos);
  CHECK(read_file(web.dist / js).find("'" + wasm + "'") != std::string::npos);
  const std::string sw = read_file(web.dist / "sw.js");
  CHECK(sw.find("'/" + wasm + "'") != std::string::npos);
  CHECK(sw.find("@FERRY_BUILD@") == std::string::npos);
  CHECK(read_file(web.dist / "manifest.webmanifest").find("/" + web.hashed("icon-192", ".png")) != std::string::npos);
}

TEST_CASE("the server serves only dist/, with br, gzip or identity by Accept-Encoding") {
  StagedRoot web;
  REQUIRE(web.staged);
  Server s({"--web-root", web.dist.string()});
  REQUIRE(s.started());
  for (const char* leftover : {"/libferry_imgui.a", "/cmake_install.cmake", "/CTestTestfile.cmake", "/ferry.js"}) {
    CHECK(http_request(s.port(), leftover).status == 404);
  }
  const std::string js = "/" + web.hashed("ferry", ".js");
  REQUIRE(fs::exists(web.dist / (js.substr(1) + ".br")));  // brotli missing? scripts/setup.sh installs it
  REQUIRE(fs::exists(web.dist / (js.substr(1) + ".gz")));

  auto br = http_request(s.port(), js, {{"Accept-Encoding", "gzip, deflate, br"}});
  CHECK(br.status == 200);
  CHECK(br.header("content-encoding") == "br");
  CHECK(br.body == read_file(web.dist / (js.substr(1) + ".br")));
  CHECK(br.header("content-length") == std::to_string(br.body.size()));
  CHECK(br.header("vary") == "Accept-Encoding");
  CHECK(br.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(br.header("cache-control") == "public, max-age=31536000, immutable");

  auto gz = http_request(s.port(), js, {{"Accept-Encoding", "gzip"}});
  CHECK(gz.header("content-encoding") == "gzip");
  CHECK(gz.body == read_file(web.dist / (js.substr(1) + ".gz")));
  CHECK(gz.header("content-length") == std::to_string(gz.body.size()));

  auto plain = http_request(s.port(), js);
  CHECK(plain.header("content-encoding").empty());
  CHECK(plain.body == read_file(web.dist / js.substr(1)));
  CHECK(plain.header("vary") == "Accept-Encoding");

  // One validator per body: a cache holding the gzip body never gets a 304 for the br one.
  CHECK(br.header("etag") != gz.header("etag"));
  CHECK(gz.header("etag") != plain.header("etag"));
  CHECK(http_request(s.port(), js, {{"Accept-Encoding", "br"}, {"If-None-Match", br.header("etag")}}).status == 304);
  CHECK(http_request(s.port(), js, {{"Accept-Encoding", "br"}, {"If-None-Match", gz.header("etag")}}).status == 200);

  // The entry points are revalidated on each load.
  auto index = http_request(s.port(), "/", {{"Accept-Encoding", "br"}});
  CHECK(index.header("content-encoding") == "br");
  CHECK(index.header("cache-control") == "no-cache");
  CHECK(http_request(s.port(), "/sw.js").header("cache-control") == "no-cache");
}
