// Back-pressure for a DataChannel: decides from the channel's bufferedAmount whether the sender
// may queue another frame. Hysteresis (stop at the high watermark, restart at the low one)
// matches the browser's `bufferedamountlow` event, which the platform should listen for with
// bufferedAmountLowThreshold = low_watermark().
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::transfer {

// Chromium's DataChannel send queue holds 16 MiB; overflowing it throws "send queue is full"
// and closes the channel. Stop queueing at half of it, leaving room for frames already read.
constexpr uint64_t kHighWatermarkBytes = 8 * 1024 * 1024;
// Restart when 2 MiB remain queued: enough to keep the link busy (about 80 ms at 25 MB/s, the
// measured direct-channel ceiling here) while the next file slices are read.
constexpr uint64_t kLowWatermarkBytes = 2 * 1024 * 1024;

class FlowControl {
 public:
  FlowControl(uint64_t high = kHighWatermarkBytes, uint64_t low = kLowWatermarkBytes);

  // May a frame of `frame_bytes` be queued now, with `buffered` bytes already in the channel
  // and `pending` more bytes promised (reads in flight)? Updates the open/blocked hysteresis.
  bool can_send(uint64_t buffered, uint64_t pending, uint64_t frame_bytes);
  bool blocked() const { return blocked_; }
  uint64_t high_watermark() const { return high_; }
  uint64_t low_watermark() const { return low_; }

 private:
  uint64_t high_;
  uint64_t low_;
  bool blocked_ = false;
};

}  // namespace ferry::transfer
