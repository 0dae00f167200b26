// The in-memory receiving budget: see memory_budget.h.
#include "transfer/memory_budget.h"

#include <string>

namespace ferry::transfer {

std::optional<Error> refuse_in_memory(uint64_t held_bytes, uint64_t file_bytes) {
  constexpr const char* kHowToFix =
      "open Ferry over https (or with --self-signed) to receive large files";
  if (file_bytes > kMaxInMemoryFileBytes) {
    return make_error("quota", std::string("this browser can only keep files up to ") +
                                   std::to_string(kMaxInMemoryFileBytes >> 20) +
                                   " MiB in memory here; " + kHowToFix);
  }
  // Written so that no sum can wrap: held_bytes is at most the total cap.
  if (held_bytes > kMaxInMemoryTotalBytes || file_bytes > kMaxInMemoryTotalBytes - held_bytes) {
    return make_error("quota",
                      std::string("the files received in memory here would exceed ") +
                          std::to_string(kMaxInMemoryTotalBytes >> 20) +
                          " MiB together; save the ones you have (saved files leave memory), or " +
                          kHowToFix);
  }
  return std::nullopt;
}

}  // namespace ferry::transfer
