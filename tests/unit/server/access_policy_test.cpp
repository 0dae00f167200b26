// Tests of the Origin check on /ws and of who may read /metrics.
#include "access_policy.h"

#include <catch2/catch.hpp>

using namespace ferry::server;

TEST_CASE("origins are normalized to scheme://host[:port]") {
  CHECK(normalize_origin("https://Example.COM") == "https://example.com");
  CHECK(normalize_origin("https://example.com:443") == "https://example.com");
  CHECK(normalize_origin("http://example.com:80") == "http://example.com");
  CHECK(normalize_origin("http://example.com:8080") == "http://example.com:8080");
  CHECK(normalize_origin("http://[::1]:8080") == "http://[::1]:8080");
  CHECK_FALSE(normalize_origin("null"));
  CHECK_FALSE(normalize_origin("file://"));
  CHECK_FALSE(normalize_origin("ftp://example.com"));
  CHECK_FALSE(normalize_origin("https://example.com/path"));
  CHECK_FALSE(normalize_origin("https://user@example.com"));
  CHECK_FALSE(normalize_origin("https://example.com:99999x"));
  CHECK_FALSE(normalize_origin("https://"));
  CHECK_FALSE(normalize_origin(std::string(1000, 'a')));
}

TEST_CASE("the server's own origin may open /ws, another may not") {
  std::vector<std::string> none;
  CHECK(origin_allowed(std::string_view("http://127.0.0.1:8080"), "127.0.0.1:8080", none));
  CHECK(origin_allowed(std::string_view("https://ferry.example"), "ferry.example", none));
  CHECK(origin_allowed(std::string_view("https://ferry.example"), "FERRY.example:443", none));
  // Behind a TLS-terminating proxy the request is plain HTTP for an https page.
  CHECK(origin_allowed(std::string_view("https://ferry.example"), "ferry.example:443", none));
  CHECK_FALSE(origin_allowed(std::string_view("https://evil.example"), "ferry.example", none));
  CHECK_FALSE(origin_allowed(std::string_view("http://127.0.0.1:8081"), "127.0.0.1:8080", none));
  CHECK_FALSE(origin_allowed(std::string_view("https://ferry.example.evil.example"),
                             "ferry.example", none));
  CHECK_FALSE(origin_allowed(std::string_view("null"), "ferry.example", none));
  CHECK_FALSE(origin_allowed(std::string_view(""), "ferry.example", none));
  CHECK_FALSE(origin_allowed(std::string_view("https://ferry.example"), "", none));
}

TEST_CASE("a request without Origin is not a browser page and is allowed") {
  CHECK(origin_allowed(std::nullopt, "ferry.example", {}));
}

TEST_CASE("--allowed-origin adds origins, compared normalized") {
  std::vector<std::string> allowed = {*normalize_origin("https://app.example:443")};
  CHECK(origin_allowed(std::string_view("https://APP.example"), "signal.example", allowed));
  CHECK_FALSE(origin_allowed(std::string_view("http://app.example"), "signal.example", allowed));
  CHECK_FALSE(
      origin_allowed(std::string_view("https://app.example:8443"), "signal.example", allowed));
}

TEST_CASE("/metrics is for loopback, or for the bearer of the metrics token") {
  auto loopback = parse_ip("127.0.0.1");
  auto remote = parse_ip("203.0.113.9");
  CHECK(metrics_allowed(loopback, "", ""));
  CHECK(metrics_allowed(parse_ip("::1"), "", ""));
  CHECK_FALSE(metrics_allowed(remote, "", ""));
  CHECK_FALSE(metrics_allowed(std::nullopt, "", ""));
  CHECK_FALSE(
      metrics_allowed(remote, "Bearer anything", ""));  // no token configured: nothing matches
  CHECK(metrics_allowed(remote, "Bearer s3cret-token", "s3cret-token"));
  CHECK_FALSE(metrics_allowed(remote, "Bearer s3cret-toke", "s3cret-token"));
  CHECK_FALSE(metrics_allowed(remote, "Bearer s3cret-token2", "s3cret-token"));
  CHECK_FALSE(metrics_allowed(remote, "bearer s3cret-token", "s3cret-token"));
  CHECK_FALSE(metrics_allowed(remote, "Basic s3cret-token", "s3cret-token"));
  CHECK_FALSE(metrics_allowed(remote, "Bearer ", "s3cret-token"));
}
