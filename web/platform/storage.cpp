// Storage: see storage.h.
#include "platform/storage.h"

#include <emscripten/val.h>

#include <cstdlib>

namespace ferry::web {

namespace {
const emscripten::val& glue() {
  static const emscripten::val g = emscripten::val::module_property("ferryGlue");
  return g;
}
}  // namespace

Handle Storage::handle() {
  if (handle_ == 0) handle_ = glue().call<int>("storageOpen");
  return handle_;
}

void Storage::write_state(const std::string& key, ByteView bytes) {
  handle();
  // Pointer and length into wasm memory: storage.js copies it at once.
  glue().call<void>("stateWrite", key, reinterpret_cast<uintptr_t>(bytes.data()), static_cast<double>(bytes.size()));
}

void Storage::list_states(const std::string& prefix) {
  handle();
  glue().call<void>("stateList", prefix);
}

void Storage::delete_state(const std::string& key) {
  handle();
  glue().call<void>("stateDelete", key);
}

void Storage::sweep(const std::string& keep_prefix, double max_age_ms) {
  handle();
  glue().call<void>("storageSweep", keep_prefix, max_age_ms);
}

bool Storage::dispatch(BrowserEvent& ev) {
  if (handle_ == 0 || ev.handle != handle_) return false;
  if (ev.kind == "state") {
    if (on_state_) on_state_(ev.text, std::move(ev.bytes));
  } else if (ev.kind == "state_done") {
    if (on_listed_) on_listed_();
  } else if (ev.kind == "swept") {
    if (on_swept_) on_swept_(static_cast<int>(ev.number));
  } else if (ev.kind == "storage_error") {
    if (on_error_) on_error_(ev.text);
  }
  return true;
}

}  // namespace ferry::web
