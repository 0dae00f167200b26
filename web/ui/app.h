// The client's UI: screens drawn with ImGui each frame from a snapshot of the session.
// The UI never owns protocol state; it reads and emits commands.
#pragma once

#include <string>

#include "imgui.h"

namespace ferry::ui {

enum class Screen { Home };

class App {
 public:
  // Reloads the font at the new devicePixelRatio so text stays crisp.
  void on_scale_changed(float dpr);
  void draw(int css_width, int css_height);
  ImVec4 background() const;

 private:
  void apply_theme();
  void draw_home();

  Screen screen_ = Screen::Home;
  float dpr_ = 0;
  bool dark_ = true;
  char code_[64] = {};
  std::string status_;
};

}  // namespace ferry::ui
