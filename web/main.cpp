// Ferry's browser client entry point: a GLFW/WebGL2 window on the page's canvas, Dear ImGui on
// top, and one frame function driven by emscripten_set_main_loop.
//
// Emscripten 3.1.6's GLFW does not know devicePixelRatio, so each frame sizes the canvas backing
// store to CSS size x DPR and tells ImGui the scale itself (see platform/canvas.h).
#include <algorithm>
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten/val.h>
#include <emscripten.h>
#include <emscripten/html5.h>
#include <emscripten/bind.h>

#include <cstdio>
#include <string>

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "client.h"
#include "platform/canvas.h"
#include "ui/app.h"
#include "ui/imgui_gl_renderer.h"

namespace {

// Repaint policy. Software GL (and a phone's battery) makes a full repaint expensive, and it
// shares the main thread with the transfer: measured in bench/throughput, painting every
// animation frame cut Ferry to 0.15 of a raw DataChannel, 10 paints a second gave 0.7.
// Input repaints at once (kFramesAfterInput frames); state changes repaint at a rate that depends
// on whether someone is using the page.
constexpr double kInteractingMs = 1000;        // input this recent: a person is using the page
constexpr double kInteractiveRepaintMs = 250;  // state changed while someone interacts: 4 fps
// State changed and nobody touches the page: during a transfer that is every chunk. Twice a
// second keeps the progress text moving and costs little (bench/README.md: painting per side).
constexpr double kUnattendedRepaintMs = 500;
constexpr double kIdleRepaintMs = 1000;  // nothing changed: once a second (speeds, ETA)
constexpr int kFramesAfterInput = 4;     // ImGui settles hover/active states in a few frames

// How the frame function is scheduled. While a person uses the page, on every animation frame,
// so input is answered at once. Otherwise on a timer: a requestAnimationFrame loop keeps
// Chromium's compositor (in the GPU process) making frames 60 times a second even when nothing
// is drawn, which bench/README.md measured at 1-2 CPU-s per 100 MB per side.
enum class Pacing { kAnimationFrames, kTimer };
// The timer's period: the transfer's I/O runs on events (drain()), this only paints and runs the
// session's timers. Input after a quiet second is first answered within it (input events switch
// back to animation frames at once, the pending tick still comes first): under the ~100 ms
// people perceive as instant.
constexpr int kTimerTickMs = 50;
// Emscripten's timer rounds its delay down to whole milliseconds, so a tick can come up to 1 ms
// early: without this margin a 500 ms repaint would slip to the next tick (550 ms).
constexpr double kTimerEarlyMs = 2;

// Whether ImGui's input changed since the last frame (mouse, touch, wheel, keys, text).
class InputWatch {
 public:
  bool changed(const ImGuiIO& io) {
    bool c = io.MousePos.x != mouse_.x || io.MousePos.y != mouse_.y || io.MouseWheel != 0 ||
             io.MouseWheelH != 0 || io.InputQueueCharacters.Size > 0 ||
             io.DisplaySize.x != display_.x || io.DisplaySize.y != display_.y;
    for (int i = 0; i < 5; ++i) c = c || io.MouseDown[i] != down_[i];
    for (int i = 0; i < 512; ++i) c = c || io.KeysDown[i] != keys_[i];
    mouse_ = io.MousePos;
    display_ = io.DisplaySize;
    for (int i = 0; i < 5; ++i) down_[i] = io.MouseDown[i];
    for (int i = 0; i < 512; ++i) keys_[i] = io.KeysDown[i];
    return c;
  }

 private:
  ImVec2 mouse_{-1, -1};
  ImVec2 display_{0, 0};
  bool down_[5] = {};
  bool keys_[512] = {};
};

struct Runtime {
  GLFWwindow* window = nullptr;
  ferry::web::Canvas canvas;
  ferry::web::Client client;
  ferry::ui::App app{client};
  ferry::ui::ImGuiGlRenderer renderer;
  InputWatch input;
  double last_paint = -1e9;
  double last_input = -1e9;
  uint64_t painted_version = ~0ull;
  int frames_after_input = 0;
  Pacing pacing = Pacing::kAnimationFrames;  // emscripten_set_main_loop(frame, 0, ...) starts so
};

Runtime* g_runtime = nullptr;  // the frame callback has no user pointer in 3.1.6's GLFW path

void set_pacing(Runtime& rt, Pacing pacing) {
  if (pacing == rt.pacing) return;
  rt.pacing = pacing;
  if (pacing == Pacing::kAnimationFrames) {
    emscripten_set_main_loop_timing(EM_TIMING_RAF, 1);
  } else {
    emscripten_set_main_loop_timing(EM_TIMING_SETTIMEOUT, kTimerTickMs);
  }
}

// Any pointer, key, wheel, touch or resize event on the page: a person is here. Registered on
// the window in the capture phase, so it sees events the overlays keep from GLFW. Does not
// consume the event.
template <typename Event>
EM_BOOL on_input(int /*event_type*/, const Event* /*event*/, void* /*user_data*/) {
  if (g_runtime != nullptr) {
    g_runtime->last_input = emscripten_get_now();
    set_pacing(*g_runtime, Pacing::kAnimationFrames);
  }
  return EM_FALSE;
}

void watch_input() {
  const char* window = EMSCRIPTEN_EVENT_TARGET_WINDOW;
  emscripten_set_mousedown_callback(window, nullptr, EM_TRUE, on_input<EmscriptenMouseEvent>);
  emscripten_set_mousemove_callback(window, nullptr, EM_TRUE, on_input<EmscriptenMouseEvent>);
  emscripten_set_wheel_callback(window, nullptr, EM_TRUE, on_input<EmscriptenWheelEvent>);
  emscripten_set_keydown_callback(window, nullptr, EM_TRUE, on_input<EmscriptenKeyboardEvent>);
  emscripten_set_touchstart_callback(window, nullptr, EM_TRUE, on_input<EmscriptenTouchEvent>);
  emscripten_set_touchmove_callback(window, nullptr, EM_TRUE, on_input<EmscriptenTouchEvent>);
  emscripten_set_resize_callback(window, nullptr, EM_TRUE, on_input<EmscriptenUiEvent>);
}

// Whether the state (not input) asks for a repaint now: what changed, and how long ago we painted.
bool repaint_due(const Runtime& rt, double now, bool attended) {
  const double since = now - rt.last_paint + (rt.pacing == Pacing::kTimer ? kTimerEarlyMs : 0);
  const double change_interval = attended ? kInteractiveRepaintMs : kUnattendedRepaintMs;
  return since >= kIdleRepaintMs || (rt.client.version() != rt.painted_version && since >= change_interval);
}

void frame() {
  Runtime& rt = *g_runtime;
  const double now = emscripten_get_now();
  rt.client.process(now);
  // Unattended timer ticks stay cheap: input and resizes come as events (on_input), which switch
  // back to animation frames, so there is nothing to poll unless a repaint is due.
  // A DOM control's event (web/ui/widgets.h: a press, a tick) reaches the UI only in a frame.
  const bool ui_input = rt.client.has_ui_events();
  if (rt.pacing == Pacing::kTimer && !repaint_due(rt, now, false) && !ui_input) return;
  const ferry::web::CanvasSize size = rt.canvas.sync();
  if (size.dpr_changed && rt.app.on_scale_changed(size.dpr)) rt.renderer.upload_fonts();

  ImGui_ImplGlfw_NewFrame();
  rt.canvas.apply_to_imgui(ImGui::GetIO());
  if (rt.input.changed(ImGui::GetIO()) || size.dpr_changed) {
    rt.frames_after_input = kFramesAfterInput;
    rt.last_input = now;
  }
  const bool attended = rt.frames_after_input > 0 || now - rt.last_input < kInteractingMs;
  set_pacing(rt, attended ? Pacing::kAnimationFrames : Pacing::kTimer);
  const bool due = repaint_due(rt, now, attended);
  const bool for_input = rt.frames_after_input > 0;
  if (!for_input && !due && !ui_input) return;
  if (for_input) --rt.frames_after_input;
  // A frame only for a DOM control's event leaves the state repaint's clock alone: the change the
  // press causes (a file saved, an offer accepted) still paints as soon as it comes.
  if (for_input || due) rt.last_paint = now;
  rt.painted_version = rt.client.version();
  ImGui::NewFrame();
  rt.app.draw(size.css_width, size.css_height, rt.canvas.take_scroll());
  if (rt.app.take_extra_frame()) rt.frames_after_input = std::max(rt.frames_after_input, 1);
  ImGui::Render();

  glViewport(0, 0, size.pixel_width, size.pixel_height);
  const ImVec4 bg = rt.app.background();
  glClearColor(bg.x, bg.y, bg.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  rt.renderer.render(ImGui::GetDrawData());
}

// Called by the glue's drain (once per task) after browser events: transfer I/O between frames.
void drain() {
  if (g_runtime != nullptr) g_runtime->client.process(emscripten_get_now());
}

}  // namespace

// For the end-to-end tests: the short code the creator shows (the page never writes it into the
// DOM; a test reads it here, as a person reads it off the screen).
std::string test_short_code() { return g_runtime ? g_runtime->client.snapshot().short_code : std::string(); }

// The verification words on screen, for the nearby tests to compare both sides' screens.
std::string test_sas() { return g_runtime ? g_runtime->client.snapshot().sas : std::string(); }

EMSCRIPTEN_BINDINGS(ferry_main) {
  emscripten::function("ferryDrain", &drain);
  emscripten::function("ferryTestShortCode", &test_short_code);
  emscripten::function("ferryTestSas", &test_sas);
}

int main() {
  if (!glfwInit()) {
    std::fprintf(stderr, "ferry: GLFW could not start\n");
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  // An opaque canvas with a colour buffer only: ImGui needs no depth or stencil, and the frame
  // clears to an opaque colour. Each buffer the context has is cleared by the browser after
  // every presented frame and an alpha canvas is blended by the compositor: work in the GPU
  // process (software GL on many machines) for every paint.
  glfwWindowHint(GLFW_ALPHA_BITS, 0);
  glfwWindowHint(GLFW_DEPTH_BITS, 0);
  glfwWindowHint(GLFW_STENCIL_BITS, 0);

  static Runtime rt;
  g_runtime = &rt;
  ferry::web::set_data_handler([](std::span<ferry::web::DataEntry> table, std::span<uint8_t> data) {
    if (g_runtime != nullptr) g_runtime->client.deliver(table, data, emscripten_get_now());
  });
  const ferry::web::CanvasSize size = rt.canvas.sync();
  rt.window = glfwCreateWindow(size.css_width, size.css_height, "Ferry", nullptr, nullptr);
  if (rt.window == nullptr) {
    // Without WebGL2 nothing can be drawn: say so in the page itself, not only the console.
    emscripten::val::module_property("ferryGlue").call<void>(
        "fatal", std::string("Ferry cannot start: this browser has WebGL 2 turned off or unavailable (it is "
                             "needed to draw the page). Try another browser, or turn on hardware acceleration."));
    return 1;
  }
  rt.client.start_from_location();
  glfwMakeContextCurrent(rt.window);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // nothing of a session is written to storage
  ImGui_ImplGlfw_InitForOpenGL(rt.window, true);
  const std::string renderer_error = rt.renderer.init();
  if (!renderer_error.empty()) {
    std::fprintf(stderr, "ferry: WebGL 2 renderer: %s\n", renderer_error.c_str());
    emscripten::val::module_property("ferryGlue").call<void>(
        "fatal", std::string("Ferry cannot start: this browser could not set up WebGL 2 drawing (") + renderer_error +
                     "). Try another browser, or turn on hardware acceleration.");
    return 1;
  }
  rt.app.on_scale_changed(rt.canvas.sync().dpr);
  rt.renderer.upload_fonts();

  watch_input();
  emscripten_set_main_loop(frame, 0, false);
  return 0;
}
