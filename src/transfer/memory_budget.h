// How much a receiver may hold in memory when it has no disk (OPFS needs a secure context: a
// page over plain http keeps received files in memory). Decided before a file's first byte is
// allocated, from the sizes the sealed MANIFEST declares.
#pragma once

#include <cstdint>
#include <optional>

#include "util/result.h"

namespace ferry::transfer {

// One file above this is refused: the tab would run out of memory long before a multi-GB
// file arrived. OPFS has no such limit.
constexpr uint64_t kMaxInMemoryFileBytes = 256ull * 1024 * 1024;
// And all files held in memory together: two such files already double a tab's usual heap,
// and a sender could otherwise fill the tab with many files each just under the per-file cap.
// Files already saved (and so removed) no longer count.
constexpr uint64_t kMaxInMemoryTotalBytes = 512ull * 1024 * 1024;

// Why a file of file_bytes cannot be received into memory while held_bytes are held by other
// files, or nullopt when it can. The error's code is "quota"; its message says what to do.
std::optional<Error> refuse_in_memory(uint64_t held_bytes, uint64_t file_bytes);

}  // namespace ferry::transfer
