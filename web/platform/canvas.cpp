// Canvas sizing: see canvas.h.
#include "platform/canvas.h"

#include <emscripten/html5.h>

#include <cmath>

namespace ferry::web {

namespace {
constexpr const char* kCanvas = "#canvas";
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
  if (next.pixel_width != size_.pixel_width || next.pixel_height != size_.pixel_height) {
    emscripten_set_canvas_element_size(kCanvas, next.pixel_width, next.pixel_height);
  }
  size_ = next;
  return size_;
}

void Canvas::apply_to_imgui(ImGuiIO& io) const {
  // GLFW reports positions in backing-store pixels once the canvas is scaled; ImGui works in
  // CSS pixels so widget sizes match the page at any DPR.
  const ImVec2 old_size = io.DisplaySize;
  io.DisplaySize = ImVec2(static_cast<float>(size_.css_width), static_cast<float>(size_.css_height));
  io.DisplayFramebufferScale = ImVec2(size_.dpr, size_.dpr);
  if (io.MousePos.x != -FLT_MAX && old_size.x > 0 && old_size.y > 0) {
    io.MousePos.x *= io.DisplaySize.x / old_size.x;
    io.MousePos.y *= io.DisplaySize.y / old_size.y;
  }
}

}  // namespace ferry::web
