// Canvas sizing: see canvas.h.
#include "platform/canvas.h"

#include <emscripten/bind.h>
#include <emscripten/html5.h>

#include <cmath>
#include <deque>
#include <string>

namespace ferry::web {

namespace {
constexpr const char* kCanvas = "#canvas";
// A finger that moves more than this (CSS pixels) is scrolling, not tapping.
constexpr float kTapSlopPx = 10;

struct TouchEvent {
  char phase;  // 'd' down, 'm' move, 'u' up
  float x, y;
};
std::deque<TouchEvent>& touch_queue() {
  static std::deque<TouchEvent> q;
  return q;
}
float g_scroll = 0;
float g_start_y = 0;
float g_last_y = 0;
bool g_scrolling = false;

void ferry_touch(std::string phase, float x, float y) {
  if (phase == "down") {
    g_start_y = g_last_y = y;
    g_scrolling = false;
    touch_queue().push_back({'d', x, y});
  } else if (phase == "move") {
    if (std::fabs(y - g_start_y) > kTapSlopPx) g_scrolling = true;
    if (g_scrolling) g_scroll += y - g_last_y;
    g_last_y = y;
  } else {
    // A drag that scrolled is not a tap: release away from where it started.
    touch_queue().push_back({'u', x, g_scrolling ? -1e6f : y});
  }
}
}  // namespace

EMSCRIPTEN_BINDINGS(ferry_canvas) { emscripten::function("ferryTouch", &ferry_touch); }

float Canvas::take_scroll() {
  const float s = g_scroll;
  g_scroll = 0;
  return s;
}

CanvasSize Canvas::sync() {
  double css_w = 0;
  double css_h = 0;
  emscripten_get_element_css_size(kCanvas, &css_w, &css_h);
  const float dpr = static_cast<float>(emscripten_get_device_pixel_ratio());
  CanvasSize next;
  next.css_width = static_cast<int>(css_w);
  next.css_height = static_cast<int>(css_h);
  next.dpr = dpr > 0 ? dpr : 1.0f;
  next.pixel_width = static_cast<int>(std::lround(css_w * next.dpr));
  next.pixel_height = static_cast<int>(std::lround(css_h * next.dpr));
  next.dpr_changed = next.dpr != size_.dpr || size_.css_width == 0;
  // Compare with the canvas itself, not with what we set last: GLFW resizes it too (at window
  // creation), which would otherwise leave a CSS-sized backing store and a blank, clipped frame.
  int actual_w = 0;
  int actual_h = 0;
  emscripten_get_canvas_element_size(kCanvas, &actual_w, &actual_h);
  if (next.pixel_width != actual_w || next.pixel_height != actual_h) {
    emscripten_set_canvas_element_size(kCanvas, next.pixel_width, next.pixel_height);
  }
  size_ = next;
  return size_;
}

void Canvas::apply_to_imgui(ImGuiIO& io) {
  // GLFW reports positions in backing-store pixels once the canvas is scaled; ImGui works in
  // CSS pixels so widget sizes match the page at any DPR.
  const ImVec2 old_size = io.DisplaySize;
  io.DisplaySize = ImVec2(static_cast<float>(size_.css_width), static_cast<float>(size_.css_height));
  io.DisplayFramebufferScale = ImVec2(size_.dpr, size_.dpr);
  if (io.MousePos.x != -FLT_MAX && old_size.x > 0 && old_size.y > 0) {
    io.MousePos.x *= io.DisplaySize.x / old_size.x;
    io.MousePos.y *= io.DisplaySize.y / old_size.y;
  }
  // Touch overrides the mouse: one queued state per frame, so ImGui sees the finger arrive,
  // press and lift even when all of it happened between two frames.
  auto& q = touch_queue();
  if (!q.empty()) {
    const TouchEvent ev = q.front();
    if (ev.phase == 'd' && !touch_down_ && touch_active_ && touch_pos_.x != ev.x) {
      touch_pos_ = ImVec2(ev.x, ev.y);  // move first, press on the next frame (hover, then click)
    } else {
      q.pop_front();
      touch_active_ = true;
      touch_pos_ = ImVec2(ev.x, ev.y);
      touch_down_ = ev.phase == 'd';
      release_frames_ = touch_down_ ? 0 : 2;
    }
  } else if (touch_active_ && !touch_down_ && release_frames_ > 0 && --release_frames_ == 0) {
    touch_active_ = false;  // no hover highlight left behind after a tap
    touch_pos_ = ImVec2(-FLT_MAX, -FLT_MAX);
  }
  if (touch_active_ || release_frames_ > 0) {
    io.MousePos = touch_pos_;
    io.MouseDown[0] = touch_down_;
  }
}

}  // namespace ferry::web
