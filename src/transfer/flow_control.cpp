// Watermark hysteresis for DataChannel back-pressure.
#include "transfer/flow_control.h"

#include <cassert>

namespace ferry::transfer {

FlowControl::FlowControl(uint64_t high, uint64_t low) : high_(high), low_(low) {
  assert(low < high);
}

bool FlowControl::can_send(uint64_t buffered, uint64_t pending, uint64_t frame_bytes) {
  const uint64_t queued = buffered + pending;
  if (blocked_) {
    if (queued > low_) return false;
    blocked_ = false;
  }
  // An empty channel always takes one frame, however large, so progress never stalls.
  if (queued > 0 && queued + frame_bytes > high_) {
    blocked_ = true;
    return false;
  }
  return true;
}

}  // namespace ferry::transfer
