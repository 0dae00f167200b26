// JSON from the network with a nesting limit. nlohmann's parser keeps its own stack, but
// dump(), comparisons, copies and every walk over the tree recurse once per level: a
// 10,000-deep "[[[[..." from a peer or a server would cost that much native (or wasm) stack.
// So the text is scanned first, and only a document within the limit is parsed.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

namespace ferry {

// Deepest nesting (objects and arrays) accepted from the network. Ferry's deepest message is
// 4 levels (an envelope's ice_servers array of objects with a "urls" array; an ICE candidate
// inside a sealed signal is 2), so 16 leaves room for new fields and keeps recursion shallow.
constexpr size_t kMaxJsonDepth = 16;

// True when no object or array in text nests deeper than max_depth (a top-level object is
// depth 1). Brackets inside strings do not count, nor anything after a NUL byte outside a
// string (nlohmann ends the document there). Text that is not JSON may pass: the parser
// rejects it afterwards; for text nlohmann accepts, the answer is exact.
bool json_depth_ok(std::string_view text, size_t max_depth);

// Parses text when json_depth_ok(text, max_depth), else returns a discarded value, as invalid
// JSON does. Never throws.
nlohmann::json parse_json_limited(std::string_view text, size_t max_depth = kMaxJsonDepth);

}  // namespace ferry
