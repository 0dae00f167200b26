// Named widgets and gesture overlays. See widgets.h.
#include "ui/widgets.h"

#include <emscripten/val.h>
#include <nlohmann/json.hpp>

namespace ferry::ui {

namespace {
emscripten::val glue() { return emscripten::val::module_property("ferryGlue"); }
}  // namespace

void Widgets::name_last(const std::string& id, Gesture gesture, const std::string& arg) {
  const ImVec2 min = ImGui::GetItemRectMin();
  const ImVec2 max = ImGui::GetItemRectMax();
  // Clip to the window: a widget scrolled out of view must not keep a clickable overlay.
  const ImVec2 clip_min = ImGui::GetWindowPos();
  const ImVec2 clip_max(clip_min.x + ImGui::GetWindowWidth(), clip_min.y + ImGui::GetWindowHeight());
  const bool visible = max.y > clip_min.y && min.y < clip_max.y && ImGui::IsItemVisible();
  named_.push_back({id, min, max});
  if (gesture == Gesture::kNone) return;
  const char* kind = gesture == Gesture::kFiles ? "files" : gesture == Gesture::kText ? "text" : "button";
  glue().call<void>("overlay", id, std::string(kind), min.x, min.y, max.x - min.x, max.y - min.y, visible);
  if (gesture == Gesture::kCopy) glue().call<void>("setGestureAction", id, std::string("copy"), arg);
  if (gesture == Gesture::kDownload) {
    glue().call<void>("setGestureAction", id, std::string("download"), std::atoi(arg.c_str()));
  }
  if (gesture == Gesture::kSaveAs) {
    glue().call<void>("setGestureAction", id, std::string("save_as"), std::atoi(arg.c_str()));
  }
  overlays_.push_back(id);
}

void Widgets::end_frame() {
  std::string keep;
  for (const auto& id : overlays_) keep += (keep.empty() ? "" : ",") + id;
  glue().call<void>("overlaysKeep", keep);
  nlohmann::json j = nlohmann::json::object();
  for (const auto& n : named_) {
    j[n.id] = {{"x", n.min.x}, {"y", n.min.y}, {"w", n.max.x - n.min.x}, {"h", n.max.y - n.min.y}};
  }
  std::string text = j.dump();
  if (text != last_published_) {
    glue().call<void>("publishWidgets", text);
    last_published_ = std::move(text);
  }
  named_.clear();
  overlays_.clear();
}

}  // namespace ferry::ui
