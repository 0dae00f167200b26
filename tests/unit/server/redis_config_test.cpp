// --redis URLs: what parse_redis_url takes and what it refuses.
#include <catch2/catch.hpp>

#include "config.h"

using namespace ferry::server;

TEST_CASE("redis URLs give host, port (default 6379) and database (default 0)") {
  auto plain = parse_redis_url("redis://cache.internal");
  REQUIRE(plain.ok());
  CHECK(plain->host == "cache.internal");
  CHECK(plain->port == 6379);
  CHECK(plain->db == 0);
  auto full = parse_redis_url("redis://10.0.0.5:6380/7");
  REQUIRE(full.ok());
  CHECK(full->host == "10.0.0.5");
  CHECK(full->port == 6380);
  CHECK(full->db == 7);
  auto v6 = parse_redis_url("redis://[::1]:7000/1");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 7000);
  CHECK(v6->db == 1);
  auto trailing_slash = parse_redis_url("redis://h/");
  REQUIRE(trailing_slash.ok());
  CHECK(trailing_slash->db == 0);
}

TEST_CASE("redis URLs with another scheme, no host, a bad port or database, or credentials are refused") {
  for (const char* url : {"", "http://h", "rediss://h", "redis://", "redis://:6379", "redis://h:", "redis://h:0",
                          "redis://h:65536", "redis://h:x", "redis://h/16", "redis://h/-1", "redis://h/a",
                          "redis://[::1", "redis://[::1]x", "redis://user:pw@h", "redis://h h", "redis://h%2f"}) {
    INFO(url);
    auto r = parse_redis_url(url);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_redis_url");
    CHECK(r.error().message.find("pw") == std::string::npos);
  }
}
