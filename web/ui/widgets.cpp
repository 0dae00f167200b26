// Named widgets and gesture overlays. See widgets.h.
#include "ui/widgets.h"

#include <emscripten/val.h>

#include <algorithm>
#include <cstdlib>
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
  Overlay o;
  // Fields and plain buttons take `arg` as their accessible name.
  const bool text_field = gesture == Gesture::kText || gesture == Gesture::kPassword ||
                          gesture == Gesture::kTextArea || gesture == Gesture::kPress;
  o.kind = gesture == Gesture::kFiles      ? "files"
           : gesture == Gesture::kFolder   ? "folder"
           : gesture == Gesture::kText     ? "text"
           : gesture == Gesture::kPassword ? "password"
           : gesture == Gesture::kTextArea ? "textarea"
                                           : "button";
  o.x = min.x;
  o.y = min.y;
  o.w = max.x - min.x;
  o.h = max.y - min.y;
  o.visible = visible;
  o.action = gesture == Gesture::kCopy       ? "copy"
             : gesture == Gesture::kDownload ? "download"
             : gesture == Gesture::kSaveAs   ? "save_as"
             : gesture == Gesture::kPaste    ? "paste"
             : gesture == Gesture::kTextFile ? "text_file"
             : gesture == Gesture::kSaveTree ? "save_tree"
                                             : "";
  o.arg = arg;
  overlays_.push_back(id);
  const auto it = written_.find(id);
  const bool fresh = it == written_.end();
  const bool placed = fresh || it->second.kind != o.kind || it->second.x != o.x || it->second.y != o.y ||
                      it->second.w != o.w || it->second.h != o.h || it->second.visible != o.visible;
  const bool acted = fresh || it->second.action != o.action || it->second.arg != o.arg;
  if (!placed && !acted) return;  // the DOM already shows this
  if (placed) glue().call<void>("overlay", id, o.kind, o.x, o.y, o.w, o.h, o.visible);
  if (acted && text_field && !arg.empty()) {
    glue().call<void>("overlayLabel", id, arg);
  } else if (acted && (o.action == "copy" || o.action == "paste" || o.action == "text_file" ||
                               o.action == "save_tree")) {
    glue().call<void>("setGestureAction", id, o.action, arg);
  } else if (acted && !o.action.empty()) {
    glue().call<void>("setGestureAction", id, o.action, std::atoi(arg.c_str()));
  }
  written_[id] = std::move(o);
}

void Widgets::clear_text(const std::string& id) {
  glue().call<void>("clearText", id);
}

void Widgets::end_frame() {
  std::string keep;
  for (const auto& id : overlays_) keep += (keep.empty() ? "" : ",") + id;
  if (keep != last_kept_) {
    glue().call<void>("overlaysKeep", keep);
    last_kept_ = keep;
    // The page hid the others: they are placed afresh when their widgets come back.
    for (auto it = written_.begin(); it != written_.end();) {
      it = std::find(overlays_.begin(), overlays_.end(), it->first) == overlays_.end() ? written_.erase(it) : ++it;
    }
  }
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
