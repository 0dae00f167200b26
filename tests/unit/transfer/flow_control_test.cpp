// DataChannel back-pressure with high/low watermarks.
#include <catch2/catch.hpp>

#include "transfer/flow_control.h"

using ferry::transfer::FlowControl;

TEST_CASE("flow control stops at the high watermark and restarts at the low one") {
  FlowControl fc(1000, 200);
  CHECK(fc.can_send(0, 0, 300));
  CHECK(fc.can_send(300, 300, 300));
  CHECK_FALSE(fc.can_send(600, 300, 300));  // would reach 1200 > 1000
  CHECK(fc.blocked());
  CHECK_FALSE(fc.can_send(500, 0, 100));  // still above the low watermark: stay blocked
  CHECK_FALSE(fc.can_send(201, 0, 100));
  CHECK(fc.can_send(200, 0, 100));  // drained to the low watermark
  CHECK_FALSE(fc.blocked());
}

TEST_CASE("flow control counts reads in flight as queued") {
  FlowControl fc(1000, 200);
  CHECK_FALSE(fc.can_send(100, 800, 200));
}

TEST_CASE("flow control always lets one frame into an empty channel") {
  FlowControl fc(1000, 200);
  CHECK(fc.can_send(0, 0, 5000));
}

TEST_CASE("default watermarks stay well below Chromium's 16 MiB send queue") {
  FlowControl fc;
  CHECK(fc.high_watermark() <= 8 * 1024 * 1024);
  CHECK(fc.low_watermark() < fc.high_watermark());
}
