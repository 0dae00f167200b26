// The event queue, the data arena and the Embind entry points JS calls. See events.h.
#include "platform/events.h"

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>

namespace ferry::web {

std::deque<BrowserEvent>& event_queue() {
  static std::deque<BrowserEvent> queue;
  return queue;
}

namespace {

// The arena: grown to the largest batch, never zero-filled (JS writes every byte handed over).
struct Arena {
  std::unique_ptr<uint8_t[]> bytes;
  size_t capacity = 0;
  size_t count = 0;   // entries of the current batch
  size_t length = 0;  // data bytes of the current batch
};
Arena& arena() {
  static Arena a;
  return a;
}
DataHandler& data_handler() {
  static DataHandler h;
  return h;
}

// Bytes cross the JS/wasm boundary once: one copy from the Uint8Array into the event.
void ferry_event(int handle, std::string kind, std::string text, double number, emscripten::val bytes) {
  BrowserEvent ev{handle, std::move(kind), std::move(text), number, {}};
  const size_t n = bytes["length"].as<size_t>();
  if (n > 0) {
    ev.bytes.resize(n);
    emscripten::val view(emscripten::typed_memory_view(n, ev.bytes.data()));
    view.call<void>("set", bytes);
  }
  event_queue().push_back(std::move(ev));
}

// Room for a batch of `count` entries and `bytes` data bytes; returns where the table starts
// (the data follows it).
uintptr_t ferry_arena(double bytes, double count) {
  Arena& a = arena();
  a.count = static_cast<size_t>(count);
  a.length = static_cast<size_t>(bytes);
  const size_t need = a.count * sizeof(DataEntry) + a.length;
  if (need > a.capacity) {
    a.bytes.reset(new uint8_t[need]);  // default-initialised: no zero-fill
    a.capacity = need;
  }
  return reinterpret_cast<uintptr_t>(a.bytes.get());
}

void ferry_deliver(double count) {
  Arena& a = arena();
  if (static_cast<size_t>(count) != a.count || !data_handler()) return;
  auto* table = reinterpret_cast<DataEntry*>(a.bytes.get());
  uint8_t* data = a.bytes.get() + a.count * sizeof(DataEntry);
  size_t total = 0;
  for (size_t i = 0; i < a.count; ++i) total += table[i].length;
  if (total != a.length) return;  // a table that does not add up is not processed
  data_handler()(std::span<DataEntry>(table, a.count), std::span<uint8_t>(data, a.length));
}

}  // namespace

void set_data_handler(DataHandler handler) {
  data_handler() = std::move(handler);
}

EMSCRIPTEN_BINDINGS(ferry_events) {
  emscripten::function("ferryEvent", &ferry_event);
  emscripten::function("ferryArena", &ferry_arena);
  emscripten::function("ferryDeliver", &ferry_deliver);
}

}  // namespace ferry::web
