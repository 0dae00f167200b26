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

namespace {
// Whether the ImGui item just drawn shows inside its window: a widget scrolled out of view must
// not keep a clickable overlay.
bool last_item_visible() {
  const ImVec2 min = ImGui::GetItemRectMin();
  const ImVec2 max = ImGui::GetItemRectMax();
  const ImVec2 clip_min = ImGui::GetWindowPos();
  const ImVec2 clip_max(clip_min.x + ImGui::GetWindowWidth(), clip_min.y + ImGui::GetWindowHeight());
  return max.y > clip_min.y && min.y < clip_max.y && ImGui::IsItemVisible();
}

const char* kind_of(Gesture gesture) {
  switch (gesture) {
    case Gesture::kFiles: return "files";
    case Gesture::kFolder: return "folder";
    case Gesture::kText: return "text";
    case Gesture::kPassword: return "password";
    case Gesture::kTextArea: return "textarea";
    case Gesture::kCheck: return "checkbox";
    default: return "button";
  }
}

const char* action_of(Gesture gesture) {
  switch (gesture) {
    case Gesture::kCopy: return "copy";
    case Gesture::kDownload: return "download";
    case Gesture::kSaveAs: return "save_as";
    case Gesture::kPaste: return "paste";
    case Gesture::kTextFile: return "text_file";
    case Gesture::kSaveTree: return "save_tree";
    default: return "";
  }
}
}  // namespace

void Widgets::name_last(const std::string& id, Gesture gesture, const std::string& arg, const std::string& label) {
  const ImVec2 min = ImGui::GetItemRectMin();
  const ImVec2 max = ImGui::GetItemRectMax();
  named_.push_back({id, min, max});
  if (gesture == Gesture::kNone) return;
  Overlay o;
  o.kind = kind_of(gesture);
  o.action = action_of(gesture);
  o.arg = arg;
  // Fields and plain buttons carry nothing but their name in `arg`.
  const bool named_by_arg = gesture == Gesture::kText || gesture == Gesture::kPassword ||
                            gesture == Gesture::kTextArea || gesture == Gesture::kPress;
  o.label = label.empty() && named_by_arg ? arg : label;
  place(id, std::move(o));
}

void Widgets::heading_last(const std::string& text, int level) {
  Overlay o;
  o.kind = level == 1 ? "h1" : "h2";
  o.label = text;
  place("heading-" + std::to_string(headings_++), std::move(o));
}

void Widgets::place(const std::string& id, Overlay o) {
  const ImVec2 min = ImGui::GetItemRectMin();
  const ImVec2 max = ImGui::GetItemRectMax();
  o.x = min.x;
  o.y = min.y;
  o.w = max.x - min.x;
  o.h = max.y - min.y;
  o.visible = last_item_visible();
  overlays_.push_back(id);
  const auto it = written_.find(id);
  const bool fresh = it == written_.end();
  const bool placed = fresh || it->second.kind != o.kind || it->second.x != o.x || it->second.y != o.y ||
                      it->second.w != o.w || it->second.h != o.h || it->second.visible != o.visible;
  const bool acted = fresh || it->second.kind != o.kind || it->second.action != o.action || it->second.arg != o.arg;
  const bool named = fresh || it->second.kind != o.kind || it->second.label != o.label;
  if (!placed && !acted && !named) return;  // the DOM already shows this
  if (placed) glue().call<void>("overlay", id, o.kind, o.x, o.y, o.w, o.h, o.visible);
  if (named && !o.label.empty()) glue().call<void>("overlayLabel", id, o.label);
  if (acted && o.kind == "checkbox") {
    glue().call<void>("overlayChecked", id, o.arg == "1");
  } else if (acted && (o.action == "copy" || o.action == "paste" || o.action == "text_file" ||
                       o.action == "save_tree")) {
    glue().call<void>("setGestureAction", id, o.action, o.arg);
  } else if (acted && !o.action.empty()) {
    glue().call<void>("setGestureAction", id, o.action, std::atoi(o.arg.c_str()));
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
  headings_ = 0;
}

}  // namespace ferry::ui
