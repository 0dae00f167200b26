// The event queue and the one Embind entry point JS calls. See events.h.
#include "platform/events.h"

#include <emscripten/bind.h>
#include <emscripten/val.h>

namespace ferry::web {

std::deque<BrowserEvent>& event_queue() {
  static std::deque<BrowserEvent> queue;
  return queue;
}

namespace {
// Bytes cross the JS/wasm boundary once: one copy from the Uint8Array into the event.
void ferry_event(int handle, std::string kind, std::string text, emscripten::val bytes) {
  BrowserEvent ev{handle, std::move(kind), std::move(text), {}};
  const size_t n = bytes["length"].as<size_t>();
  if (n > 0) {
    ev.bytes.resize(n);
    emscripten::val view(emscripten::typed_memory_view(n, ev.bytes.data()));
    view.call<void>("set", bytes);
  }
  event_queue().push_back(std::move(ev));
}
}  // namespace

EMSCRIPTEN_BINDINGS(ferry_events) { emscripten::function("ferryEvent", &ferry_event); }

}  // namespace ferry::web
