// HTTP static hosting through the real server: MIME types, precompressed files, ETag/304,
// deep links, path escapes, security headers, /healthz and /metrics.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "harness.h"

using namespace ferry::itest;
namespace fs = std::filesystem;

namespace {

// A temporary web root with a few files of each kind, and a secret file outside it.
struct WebRoot {
  WebRoot() {
    char tmpl[] = "/tmp/ferry-web-XXXXXX";
    base = mkdtemp(tmpl);
    root = base / "web";
    fs::create_directories(root / "assets");
    write(root / "index.html", "<!doctype html><title>Ferry app</title>");
    write(root / "ferry.wasm", std::string("\0asm\1\0\0\0", 8));
    write(root / "ferry.js", "console.log('ferry');");
    write(root / "ferry.js.gz", "GZIPPED-BYTES");
    write(root / "assets" / "style.css", "body{}");
    write(base / "secret.txt", "do not serve");
    fs::create_symlink(base / "secret.txt", root / "leak.txt");
  }
  ~WebRoot() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
  fs::path base, root;
};

}  // namespace

TEST_CASE("static files are served with their MIME types") {
  WebRoot web;
  Server s({"--web-root", web.root.string()});
  REQUIRE(s.started());
  auto wasm = http_request(s.port(), "/ferry.wasm");
  CHECK(wasm.status == 200);
  CHECK(wasm.header("content-type") == "application/wasm");
  CHECK(wasm.body == std::string("\0asm\1\0\0\0", 8));
  CHECK(http_request(s.port(), "/ferry.js").header("content-type") == "text/javascript; charset=utf-8");
  CHECK(http_request(s.port(), "/assets/style.css").header("content-type") == "text/css; charset=utf-8");
  auto index = http_request(s.port(), "/");
  CHECK(index.status == 200);
  CHECK(index.header("content-type") == "text/html; charset=utf-8");
  CHECK(index.header("cache-control") == "no-cache");
  CHECK(index.body.find("Ferry app") != std::string::npos);
  CHECK(http_request(s.port(), "/missing.js").status == 404);
  auto head = http_request(s.port(), "/ferry.wasm", {}, "HEAD");
  CHECK(head.status == 200);
  CHECK(head.header("content-length") == "8");
}

TEST_CASE("deep links /j/<room> serve the app page") {
  WebRoot web;
  Server s({"--web-root", web.root.string()});
  REQUIRE(s.started());
  auto res = http_request(s.port(), "/j/AAAAAAAAAAAAAAAAAAAA?t=BBBB");
  CHECK(res.status == 200);
  CHECK(res.body.find("Ferry app") != std::string::npos);
}

TEST_CASE("precompressed .gz files are served when gzip is accepted") {
  WebRoot web;
  Server s({"--web-root", web.root.string()});
  REQUIRE(s.started());
  auto gz = http_request(s.port(), "/ferry.js", {{"Accept-Encoding", "gzip, br"}});
  CHECK(gz.status == 200);
  CHECK(gz.header("content-encoding") == "gzip");
  CHECK(gz.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(gz.header("vary") == "Accept-Encoding");
  CHECK(gz.body == "GZIPPED-BYTES");
  auto plain = http_request(s.port(), "/ferry.js");
  CHECK(plain.header("content-encoding").empty());
  CHECK(plain.body == "console.log('ferry');");
  CHECK(plain.header("etag") != gz.header("etag"));
  // No .gz next to the wasm: served plain even when gzip is accepted.
  CHECK(http_request(s.port(), "/ferry.wasm", {{"Accept-Encoding", "gzip"}}).header("content-encoding").empty());
}

TEST_CASE("a matching If-None-Match gets 304 Not Modified") {
  WebRoot web;
  Server s({"--web-root", web.root.string()});
  REQUIRE(s.started());
  auto first = http_request(s.port(), "/ferry.wasm");
  std::string etag = first.header("etag");
  REQUIRE_FALSE(etag.empty());
  CHECK(first.header("cache-control") == "public, max-age=3600");
  auto again = http_request(s.port(), "/ferry.wasm", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(http_request(s.port(), "/ferry.wasm", {{"If-None-Match", "\"other\""}}).status == 200);
}

TEST_CASE("path escapes are rejected") {
  WebRoot web;
  Server s({"--web-root", web.root.string()});
  REQUIRE(s.started());
  for (const char* target : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                             "/assets/..", "/a%00b", "/x\\..\\secret.txt"}) {
    INFO(target);
    auto res = http_request(s.port(), target);
    CHECK(res.status == 400);
    CHECK(res.body.find("do not serve") == std::string::npos);
  }
  // A symbolic link that leads out of the web root is not followed.
  auto leak = http_request(s.port(), "/leak.txt");
  CHECK(leak.status == 404);
  CHECK(leak.body.find("do not serve") == std::string::npos);
}

TEST_CASE("responses carry the security headers") {
  WebRoot web;
  Server s({"--web-root", web.root.string()});
  REQUIRE(s.started());
  for (const char* target : {"/", "/ferry.wasm", "/healthz", "/nope"}) {
    INFO(target);
    auto res = http_request(s.port(), target);
    std::string csp = res.header("content-security-policy");
    CHECK(csp.find("script-src 'self' 'wasm-unsafe-eval'") != std::string::npos);
    CHECK(csp.find("default-src 'self'") != std::string::npos);
    CHECK(csp.find("object-src 'none'") != std::string::npos);
    CHECK(res.header("x-content-type-options") == "nosniff");
    CHECK(res.header("referrer-policy") == "no-referrer");
    CHECK(res.header("strict-transport-security").empty());  // plain HTTP: no HSTS
  }
}

TEST_CASE("a missing web root serves the placeholder page instead of failing") {
  Server s({"--web-root", "/nonexistent/ferry/web"});
  REQUIRE(s.started());
  auto res = http_request(s.port(), "/");
  CHECK(res.status == 200);
  CHECK(res.body.find("not built") != std::string::npos);
  CHECK(http_request(s.port(), "/j/AAAAAAAAAAAAAAAAAAAA").status == 200);
  CHECK(http_request(s.port(), "/ferry.wasm").status == 404);
}

TEST_CASE("healthz and metrics answer") {
  Server s;
  REQUIRE(s.started());
  auto health = http_request(s.port(), "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  auto metrics = http_request(s.port(), "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("content-type").find("text/plain") == 0);
  for (const char* name : {"ferry_rooms ", "ferry_peers ", "ferry_messages_relayed_total ", "ferry_bytes_relayed_total ",
                           "# TYPE ferry_refusals_total counter"}) {
    CHECK(metrics.body.find(name) != std::string::npos);
  }
  CHECK(http_request(s.port(), "/ws").status == 426);
  CHECK(http_request(s.port(), "/", {}, "POST").status == 405);
}

TEST_CASE("TLS with --self-signed serves HTTPS with HSTS") {
  Server s({"--self-signed"});
  REQUIRE(s.started());
  CHECK(s.log().find("event=self_signed_certificate sha256=") != std::string::npos);
  CHECK(s.log().find("tls=1") != std::string::npos);
  // A plain HTTP request to a TLS port gets no HTTP response.
  CHECK(http_request(s.port(), "/healthz").status == 0);
  // curl speaks TLS (any certificate accepted: it is self-signed); the answer carries HSTS.
  if (std::system("command -v curl >/dev/null 2>&1") != 0) {
    WARN("curl not installed: HTTPS answer not checked");
    return;
  }
  std::string cmd = "curl -sk -i --max-time 5 https://127.0.0.1:" + std::to_string(s.port()) + "/healthz";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  CHECK(out.find(" 200 ") != std::string::npos);
  CHECK(out.find("Strict-Transport-Security: max-age=31536000") != std::string::npos);
}
