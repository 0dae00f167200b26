// Browser events queued for the frame loop, and the integer handles that name JS objects.
//
// JS (platform/glue.js) calls ferryEvent(handle, kind, text, bytes) from any browser callback;
// that only appends to the queue. The frame loop drains it and dispatches to whoever owns the
// handle. Nothing runs C++ logic from inside a JS callback, and nothing awaits in the loop.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "util/bytes.h"

namespace ferry::web {

using Handle = int;  // 0 = none; JS objects live in glue.js's table under this number

struct BrowserEvent {
  Handle handle = 0;
  std::string kind;  // "open", "text", "binary", "error", "closed", ...
  std::string text;
  Bytes bytes;
};

// The process-wide queue (the browser has one thread for us).
std::deque<BrowserEvent>& event_queue();

}  // namespace ferry::web
