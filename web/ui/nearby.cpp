// The home screen's nearby devices (app/nearby.h is the logic): a tile per device that has Ferry
// open on the same network, each a file picker (Gesture::kFiles) named "Send files to <name>"
// for screen readers, and the switch that hides this device. A nearby transfer's verification
// words are drawn large on both screens (App::draw_nearby_words): nearby devices share no secret.
#include <algorithm>
#include <cmath>
#include <string>

#include "ui/app.h"

namespace ferry::ui {

namespace {
// A tile is this wide in CSS pixels: two fit a phone's column, four a desktop's.
constexpr float kTileWidth = 150;
constexpr float kTileHeight = 112;
constexpr float kTileGap = 10;
constexpr float kAvatarRadius = 24;

const char* device_word(protocol::DeviceType t) {
  switch (t) {
    case protocol::DeviceType::kPhone: return "Phone";
    case protocol::DeviceType::kTablet: return "Tablet";
    case protocol::DeviceType::kDesktop: return "Computer";
    case protocol::DeviceType::kOther: break;
  }
  return "Device";
}

// A colour per name, so a device keeps its colour on every screen that lists it.
ImU32 avatar_colour(const std::string& name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  static const ImU32 kColours[] = {IM_COL32(239, 108, 87, 255),  IM_COL32(86, 160, 240, 255),
                                   IM_COL32(92, 184, 120, 255),  IM_COL32(230, 170, 60, 255),
                                   IM_COL32(170, 110, 220, 255), IM_COL32(60, 180, 190, 255)};
  return kColours[h % (sizeof kColours / sizeof kColours[0])];
}

std::string initials(const std::string& name) {
  std::string out;
  bool start = true;
  for (char c : name) {
    if (start && c != ' ') out += c;
    start = c == ' ';
  }
  return out.substr(0, 2);
}
}  // namespace

void App::draw_nearby(float column) {
  const app::Nearby* nearby = client_.nearby();
  if (!nearby) return;
  heading("Nearby");
  const auto& devices = nearby->devices();
  const float dpr_scale = ImGui::GetFontSize() / 17.0f;  // kFontCssPx: tiles grow with the text (and the pixel ratio)
  const float tile_w = kTileWidth * dpr_scale, tile_h = kTileHeight * dpr_scale, gap = kTileGap * dpr_scale;
  const int per_row = std::max(1, static_cast<int>((column + gap) / (tile_w + gap)));
  if (devices.empty()) {
    ImGui::TextWrapped("Open Ferry on another device on this network (the same Wi-Fi) and it shows up here.");
    widgets_.name_last("nearby-none");
  }
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImGuiStyle& style = ImGui::GetStyle();
  for (size_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    if (i % per_row != 0) ImGui::SameLine(0, gap);
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const std::string id = std::string(web::kNearbyTilePrefix) + d.id;
    ImGui::InvisibleButton(id.c_str(), ImVec2(tile_w, tile_h));
    const bool hot = ImGui::IsItemHovered();
    const ImVec2 end(at.x + tile_w, at.y + tile_h);
    draw->AddRectFilled(at, end, ImGui::GetColorU32(hot ? ImGuiCol_ButtonHovered : ImGuiCol_FrameBg), 12 * dpr_scale);
    const ImVec2 centre(at.x + tile_w / 2, at.y + 14 * dpr_scale + kAvatarRadius * dpr_scale);
    draw->AddCircleFilled(centre, kAvatarRadius * dpr_scale, avatar_colour(d.name), 32);
    const std::string ini = initials(d.name);
    const ImVec2 ini_size = ImGui::CalcTextSize(ini.c_str());
    draw->AddText(ImVec2(centre.x - ini_size.x / 2, centre.y - ini_size.y / 2), IM_COL32_WHITE, ini.c_str());
    const ImVec2 name_size = ImGui::CalcTextSize(d.name.c_str());
    const float name_y = centre.y + kAvatarRadius * dpr_scale + 6 * dpr_scale;
    draw->PushClipRect(at, end, true);
    draw->AddText(ImVec2(at.x + std::max(4.0f, (tile_w - name_size.x) / 2), name_y),
                  ImGui::GetColorU32(ImGuiCol_Text), d.name.c_str());
    const char* kind = device_word(d.device);
    const ImVec2 kind_size = ImGui::CalcTextSize(kind);
    draw->AddText(ImVec2(at.x + (tile_w - kind_size.x) / 2, name_y + name_size.y + style.ItemSpacing.y / 2),
                  ImGui::GetColorU32(ImGuiCol_TextDisabled), kind);
    draw->PopClipRect();
    // The tile is a file picker: a tap chooses the files, and they go to this device.
    widgets_.name_last(id, Gesture::kFiles, "", "Send files to " + d.name + " (" + device_word(d.device) + ")");
  }
  if (!devices.empty()) ImGui::TextDisabled("Tap a device to send it files.");
  if (nearby->problem() == "nearby_full") {
    ImGui::TextWrapped("Too many devices on this network show Ferry: this one is not listed.");
  }
  ImGui::TextDisabled("This device appears as %s.", nearby->name().c_str());
  widgets_.name_last("nearby-self");
  bool hidden = !nearby->visible();
  if (checkbox_row("nearby-hidden", hidden, "Hide this device from others nearby", column)) {
    client_.set_nearby_hidden(hidden);
  }
  ImGui::Dummy(ImVec2(column, 8));
}

}  // namespace ferry::ui
