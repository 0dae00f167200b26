// libFuzzer harness for the nesting pre-scan in front of every network JSON parse
// (util/json.h). Properties: the scan never crashes; for every text nlohmann accepts, the scan
// agrees exactly with the parsed tree's depth; parse_json_limited returns that tree when it is
// within the limit and a discarded value when it is not.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "util/json.h"

namespace {

size_t depth_of(const nlohmann::json& j) {  // recursion is bounded by -max_len
  if (!j.is_structured()) return 0;
  size_t deepest = 0;
  for (const auto& e : j) deepest = std::max(deepest, depth_of(e));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool within = ferry::json_depth_ok(text, ferry::kMaxJsonDepth);
  const auto full =
      nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  const auto limited = ferry::parse_json_limited(text);
  if (full.is_discarded()) {
    if (!limited.is_discarded()) std::abort();  // the limit never makes bad JSON acceptable
    return 0;
  }
  const size_t depth = depth_of(full);
  if (!ferry::json_depth_ok(text, depth)) std::abort();
  if (depth > 0 && ferry::json_depth_ok(text, depth - 1)) std::abort();
  if (within != (depth <= ferry::kMaxJsonDepth)) std::abort();
  if (within ? !(limited == full) : !limited.is_discarded()) std::abort();
  return 0;
}
