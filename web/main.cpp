// Ferry's browser client entry point: a GLFW/WebGL2 window on the page's canvas, Dear ImGui on
// top, and one frame function driven by emscripten_set_main_loop.
//
// Emscripten 3.1.6's GLFW does not know devicePixelRatio, so each frame sizes the canvas backing
// store to CSS size x DPR and tells ImGui the scale itself (see platform/canvas.h).
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten.h>

#include <cstdio>

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "client.h"
#include "platform/canvas.h"
#include "ui/app.h"

namespace {

struct Runtime {
  GLFWwindow* window = nullptr;
  ferry::web::Canvas canvas;
  ferry::web::Client client;
  ferry::ui::App app{client};
};

Runtime* g_runtime = nullptr;  // the frame callback has no user pointer in 3.1.6's GLFW path

void frame() {
  Runtime& rt = *g_runtime;
  rt.client.frame(emscripten_get_now());
  const ferry::web::CanvasSize size = rt.canvas.sync();
  if (size.dpr_changed) rt.app.on_scale_changed(size.dpr);

  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  rt.canvas.apply_to_imgui(ImGui::GetIO());
  ImGui::NewFrame();
  rt.app.draw(size.css_width, size.css_height, rt.canvas.take_scroll());
  ImGui::Render();

  glViewport(0, 0, size.pixel_width, size.pixel_height);
  const ImVec4 bg = rt.app.background();
  glClearColor(bg.x, bg.y, bg.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

}  // namespace

int main() {
  if (!glfwInit()) {
    std::fprintf(stderr, "ferry: GLFW could not start\n");
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);

  static Runtime rt;
  g_runtime = &rt;
  rt.client.start_from_location();
  const ferry::web::CanvasSize size = rt.canvas.sync();
  rt.window = glfwCreateWindow(size.css_width, size.css_height, "Ferry", nullptr, nullptr);
  if (rt.window == nullptr) {
    std::fprintf(stderr, "ferry: WebGL2 is not available in this browser\n");
    return 1;
  }
  glfwMakeContextCurrent(rt.window);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // nothing of a session is written to storage
  ImGui_ImplGlfw_InitForOpenGL(rt.window, true);
  ImGui_ImplOpenGL3_Init("#version 300 es");
  rt.app.on_scale_changed(rt.canvas.sync().dpr);

  emscripten_set_main_loop(frame, 0, false);
  return 0;
}
