// Tests for util/json: the nesting limit on JSON from the network.
#include "util/json.h"

#include <catch2/catch.hpp>
#include <string>

using namespace ferry;

namespace {
std::string nested(size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}
}  // namespace

TEST_CASE("10000-deep arrays are refused before parsing") {
  CHECK_FALSE(json_depth_ok(nested(10000), kMaxJsonDepth));
  CHECK(parse_json_limited(nested(10000)).is_discarded());
}

TEST_CASE("10000-deep objects are refused before parsing") {
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += R"({"a":)";
  deep += "1" + std::string(10000, '}');
  CHECK(parse_json_limited(deep).is_discarded());
}

TEST_CASE("nesting up to the limit parses") {
  const auto j = parse_json_limited(nested(kMaxJsonDepth));
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j.is_array());
  CHECK(parse_json_limited(nested(kMaxJsonDepth + 1)).is_discarded());
  CHECK(parse_json_limited(R"({"a":[{"b":[1,2]}],"c":"x"})", 4).is_object());
  CHECK(parse_json_limited(R"({"a":[{"b":[1,2]}],"c":"x"})", 3).is_discarded());
}

TEST_CASE("brackets inside strings do not count as nesting") {
  const std::string text = R"({"s":")" + std::string(1000, '[') + R"(\"[{"})";
  CHECK(json_depth_ok(text, 1));
  const auto j = parse_json_limited(text, 1);
  REQUIRE(j.is_object());
  CHECK(j["s"].get<std::string>() == std::string(1000, '[') + "\"[{");
}

TEST_CASE("invalid JSON is discarded, never thrown") {
  CHECK(parse_json_limited("").is_discarded());
  CHECK(parse_json_limited("{\"a\":").is_discarded());
  CHECK(parse_json_limited("]]]]{").is_discarded());
}

// Found by json_fuzz: nlohmann stops at a NUL byte, so what follows is not part of the document.
TEST_CASE("the scan ends where the parser ends, at a NUL byte") {
  const std::string text = std::string("6\0", 2) + std::string(100, '[');
  CHECK(json_depth_ok(text, 0));
  CHECK(parse_json_limited(text, 1) == nlohmann::json(6));
}
