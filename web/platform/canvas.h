// Canvas sizing for ImGui on the web: what Emscripten 3.1.6's GLFW lacks.
//
// Implements: devicePixelRatio (backing store = CSS size x DPR, ImGui works in CSS pixels with
// DisplayFramebufferScale = DPR, so text is crisp), window resize (size is re-read each frame),
// mouse position in CSS pixels.
// Lacks (yet): touch taps, wheel sign, clipboard, on-screen keyboard.
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
  void apply_to_imgui(ImGuiIO& io) const;

 private:
  CanvasSize size_;
};

}  // namespace ferry::web
