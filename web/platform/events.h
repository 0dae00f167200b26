// Browser events queued for the frame loop, the data arena, and the integer handles that name
// JS objects.
//
// Events. JS (platform/js/core.js) calls ferryEvent(handle, kind, text, number, bytes) from any
// browser callback; that only appends to the queue. The drain (once per task) and the frame loop
// dispatch it to whoever owns the handle. Nothing runs C++ logic from inside a JS callback, and
// nothing awaits in the loop. Numbers (request ids, close codes, sizes) come as `number`.
//
// Data. The bulk (DataChannel and relay messages, file reads, read-backs) comes in batches: the
// drain asks for an arena (ferryArena(bytes, count)), writes a table of DataEntry and the bytes
// into it, and hands the batch over (ferryDeliver(count)), which the client processes in place.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>

#include "util/bytes.h"

namespace ferry::web {

using Handle = int;  // 0 = none; JS objects live in core.js's table under this number

struct BrowserEvent {
  Handle handle = 0;
  std::string kind;  // "open", "text", "error", "closed", ...
  std::string text;
  double number = 0;
  Bytes bytes;
};

// The process-wide queue (the browser has one thread for us).
std::deque<BrowserEvent>& event_queue();

// What a data entry is (core.js kDataKind).
enum class DataKind : uint32_t { kChannel = 1, kServer = 2, kFileRead = 3, kSinkRead = 4 };

// One message of a batch, as JS wrote it into the arena.
struct DataEntry {
  DataKind kind;
  uint32_t handle;  // the channel, socket, file or sink
  uint32_t id;      // the request id of a read; 0 otherwise
  uint32_t length;
};
static_assert(sizeof(DataEntry) == 16, "core.js writes 4 u32 per entry");

// Who processes a delivered batch: the table and the data behind it, which the handler may
// change in place (the client decrypts chunks where they lie).
using DataHandler = std::function<void(std::span<DataEntry> table, std::span<uint8_t> data)>;
void set_data_handler(DataHandler handler);

}  // namespace ferry::web
