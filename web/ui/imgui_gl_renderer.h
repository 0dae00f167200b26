// Ferry's own renderer for Dear ImGui's draw data, on WebGL2 (GLES 3.0).
//
// Why not ImGui's OpenGL3 backend: in 1.86 it backs up and restores the GL state with about 20
// glGet* calls on every frame, and in a browser each one is a synchronous round trip to the GPU
// process (measured in bench/README.md). Ferry's page owns its WebGL context and draws nothing
// else with it, so there is no state to save: the renderer sets what it needs once and, per
// frame, only uploads the vertices and issues the draws. A frame makes no GL state query.
//
// What it uses: one program, one vertex array with one vertex and one index buffer, and the font
// atlas texture (the only texture the UI draws with).
#pragma once

#include <GLES3/gl3.h>

#include <string>

#include "imgui.h"

namespace ferry::ui {

class ImGuiGlRenderer {
 public:
  ImGuiGlRenderer() = default;
  ImGuiGlRenderer(const ImGuiGlRenderer&) = delete;
  ImGuiGlRenderer& operator=(const ImGuiGlRenderer&) = delete;
  ~ImGuiGlRenderer();

  // Compiles the program and makes the buffers; the context must be current. On failure
  // returns a description of what failed (shown to the person: nothing can be drawn).
  std::string init();
  // (Re)uploads ImGui's font atlas, after the fonts were (re)built; sets the atlas's texture id.
  void upload_fonts();
  // Draws one frame's draw data into the current framebuffer (the caller sets the viewport).
  void render(const ImDrawData* data);

 private:
  void bind_state(const ImDrawData* data);

  GLuint program_ = 0;
  GLint projection_ = -1;  // uniform location of the orthographic projection
  GLuint vao_ = 0;
  GLuint vbo_ = 0;
  GLuint ebo_ = 0;
  GLuint font_texture_ = 0;
};

}  // namespace ferry::ui
