// Canvas sizing for ImGui on the web: what Emscripten 3.1.6's GLFW lacks.
//
// Implements: devicePixelRatio (backing store = CSS size x DPR, ImGui works in CSS pixels with
// DisplayFramebufferScale = DPR, so text is crisp), window resize (size is re-read each frame),
// mouse position in CSS pixels.
// Touch: taps are queued and replayed one state per frame (position, then press, then release),
// so a tap shorter than a frame still clicks; a vertical drag scrolls (take_scroll()).
// Clipboard and the on-screen keyboard are DOM overlays (ui/widgets.h).
#pragma once

#include "imgui.h"

namespace ferry::web {

struct CanvasSize {
  int css_width = 0;
  int css_height = 0;
  int pixel_width = 0;
  int pixel_height = 0;
  float dpr = 1.0f;
  bool dpr_changed = false;
};

class Canvas {
 public:
  // Reads the canvas's CSS size and the DPR, and resizes the backing store if they changed.
  CanvasSize sync();
  // Overrides what the GLFW backend computed with the real CSS size and DPR.
  // Also replays queued touch input.
  void apply_to_imgui(ImGuiIO& io);
  // Vertical scroll requested by touch drags since the last call, in CSS pixels.
  float take_scroll();

 private:
  CanvasSize size_;
  bool touch_active_ = false;
  ImVec2 touch_pos_{-1, -1};
  bool touch_down_ = false;
  int release_frames_ = 0;
};

}  // namespace ferry::web
