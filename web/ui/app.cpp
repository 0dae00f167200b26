// The client's screens. See app.h.
#include "ui/app.h"

#include <emscripten.h>

#include "imgui_impl_opengl3.h"

namespace ferry::ui {

namespace {
constexpr float kFontCssPx = 17.0f;   // body text size in CSS pixels, readable on phones
constexpr float kTitleCssPx = 34.0f;  // the wordmark on the home screen
constexpr const char* kFontPath = "/fonts/ui.ttf";  // embedded at link time (web/CMakeLists.txt)
ImFont* g_title_font = nullptr;

bool prefers_dark() {
  return emscripten_run_script_int(
             "window.matchMedia && window.matchMedia('(prefers-color-scheme: light)').matches ? 0 : 1") != 0;
}
}  // namespace

void App::on_scale_changed(float dpr) {
  if (dpr == dpr_) return;
  dpr_ = dpr;
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  // Rasterise at device pixels, draw at CSS pixels: crisp at any DPR.
  io.Fonts->AddFontFromFileTTF(kFontPath, kFontCssPx * dpr);
  g_title_font = io.Fonts->AddFontFromFileTTF(kFontPath, kTitleCssPx * dpr);
  io.FontGlobalScale = 1.0f / dpr;
  io.Fonts->Build();
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
  apply_theme();
}

void App::apply_theme() {
  dark_ = prefers_dark();
  ImGuiStyle& style = ImGui::GetStyle();
  style = ImGuiStyle();
  if (dark_) {
    ImGui::StyleColorsDark(&style);
  } else {
    ImGui::StyleColorsLight(&style);
  }
  style.WindowRounding = 0;
  style.WindowBorderSize = 0;
  style.FrameRounding = 8;
  style.FramePadding = ImVec2(14, 10);
  style.ItemSpacing = ImVec2(12, 12);
  style.WindowPadding = ImVec2(24, 24);
  const ImVec4 accent = dark_ ? ImVec4(0.30f, 0.62f, 1.0f, 1.0f) : ImVec4(0.10f, 0.42f, 0.90f, 1.0f);
  style.Colors[ImGuiCol_Button] = accent;
  style.Colors[ImGuiCol_ButtonHovered] = ImVec4(accent.x + 0.08f, accent.y + 0.08f, accent.z, 1.0f);
  style.Colors[ImGuiCol_ButtonActive] = ImVec4(accent.x - 0.08f, accent.y - 0.08f, accent.z, 1.0f);
  style.Colors[ImGuiCol_WindowBg] = background();
  style.Colors[ImGuiCol_Text] = dark_ ? ImVec4(0.93f, 0.94f, 0.96f, 1) : ImVec4(0.08f, 0.09f, 0.11f, 1);
}

ImVec4 App::background() const {
  return dark_ ? ImVec4(0.086f, 0.094f, 0.114f, 1.0f) : ImVec4(0.957f, 0.961f, 0.969f, 1.0f);
}

void App::draw(int css_width, int css_height) {
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(static_cast<float>(css_width), static_cast<float>(css_height)));
  ImGui::Begin("Ferry", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
  switch (screen_) {
    case Screen::Home:
      draw_home();
      break;
  }
  ImGui::End();
}

// Primary buttons: white text on the accent colour in both themes.
static bool primary_button(const char* label, float width) {
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 1, 1, 1));
  const bool pressed = ImGui::Button(label, ImVec2(width, 0));
  ImGui::PopStyleColor();
  return pressed;
}

void App::draw_home() {
  const float width = ImGui::GetContentRegionAvail().x;
  const float column = width > 520 ? 480 : width;
  ImGui::SetCursorPosX((width - column) * 0.5f + ImGui::GetStyle().WindowPadding.x);
  ImGui::BeginGroup();
  ImGui::Dummy(ImVec2(column, 24));
  ImGui::PushFont(g_title_font);
  ImGui::TextUnformatted("Ferry");
  ImGui::PopFont();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
  ImGui::TextWrapped(
      "Send files straight to another device. End-to-end encrypted: nothing is stored on a "
      "server, and only the person you share the link with can open them.");
  ImGui::Dummy(ImVec2(column, 12));
  primary_button("Send files", column);
  ImGui::TextDisabled("or drop files anywhere on this page");
  ImGui::Dummy(ImVec2(column, 16));
  ImGui::TextUnformatted("Receive");
  ImGui::SetNextItemWidth(column);
  ImGui::InputTextWithHint("##code", "Code, e.g. 7-orbit-velvet", code_, sizeof(code_));
  primary_button("Receive files", column);
  if (!status_.empty()) ImGui::TextWrapped("%s", status_.c_str());
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
}

}  // namespace ferry::ui
