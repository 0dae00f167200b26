// The client's screens. See app.h.
#include "ui/app.h"

#include <algorithm>

#include <emscripten/val.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <set>
#include <cstdio>

#include "qrcodegen.hpp"
#include "util/format.h"

namespace ferry::ui {

namespace {
constexpr float kFontCssPx = 17.0f;   // body text size in CSS pixels, readable on phones
constexpr float kTitleCssPx = 34.0f;  // the wordmark and the short code
constexpr float kMaxColumnPx = 560;   // reading width on wide screens
constexpr const char* kFontPath = "/fonts/ui.ttf";  // embedded at link time (web/CMakeLists.txt)
ImFont* g_title_font = nullptr;

bool prefers_dark() {
  const emscripten::val window = emscripten::val::global("window");
  if (window["matchMedia"].isUndefined()) return true;
  return !window.call<emscripten::val>("matchMedia", std::string("(prefers-color-scheme: light)"))["matches"].as<bool>();
}

std::string eta(double remaining, double speed) {
  if (speed < 1 || remaining <= 0) return "";
  const int s = static_cast<int>(remaining / speed);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%dh %02dm left", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%dm %02ds left", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ds left", s);
  }
  return buf;
}
}  // namespace

// Buttons: white text on the accent colour in both themes. width 0 = fit the label.
bool primary_button(const char* label, float width) {
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 1, 1, 1));
  const bool pressed = ImGui::Button(label, ImVec2(width, 0));
  ImGui::PopStyleColor();
  return pressed;
}

void App::heading(const std::string& text) {
  ImGui::Dummy(ImVec2(0, 4));
  ImGui::TextDisabled("%s", text.c_str());
  widgets_.heading_last(text, 2);
}

void App::title() {
  ImGui::PushFont(g_title_font);
  ImGui::TextUnformatted("Ferry");
  ImGui::PopFont();
  widgets_.heading_last("Ferry", 1);
}

bool App::take_check(const std::string& id, bool& value) {
  bool changed = false;
  for (const auto& ev : ui_events_) {
    const size_t nl = ev.text.find('\n');
    if (ev.kind != "check" || nl != id.size() || ev.text.compare(0, nl, id) != 0) continue;
    const bool on = ev.text.compare(nl + 1, std::string::npos, "1") == 0;
    changed = changed || on != value;
    value = on;
  }
  return changed;
}

bool App::check(const std::string& id, bool& value, const std::string& name) {
  bool changed = take_check(id, value);
  changed = ImGui::Checkbox(("##" + id).c_str(), &value) || changed;
  widgets_.name_last(id, Gesture::kCheck, value ? "1" : "0", name);
  return changed;
}

bool App::checkbox_row(const std::string& id, bool& value, const char* label, float column) {
  const float left = ImGui::GetCursorPosX();
  const bool changed = check(id, value, label);
  // The label wraps inside the column (a phone is too narrow for it on one line).
  ImGui::SameLine();
  ImGui::PushTextWrapPos(left + column);
  ImGui::TextWrapped("%s", label);
  ImGui::PopTextWrapPos();
  return changed;
}

bool App::button(const std::string& id, const std::string& label, const std::string& name, float width) {
  const bool clicked = primary_button((label + "##" + id).c_str(), width);
  widgets_.name_last(id, Gesture::kPress, name);
  return clicked || pressed(id);
}

namespace {
// How hard a password is to guess offline, roughly: length times the bits of the character
// classes it uses. (An attacker gets only kMaxCodeFailures online guesses per room, so even a
// short one holds; this tells people how it would fare if that were not so.)
const char* strength(const std::string& pw, bool& short_one) {
  bool lower = false, upper = false, digit = false, other = false, wide = false;
  size_t chars = 0;
  for (const unsigned char c : pw) {
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte
    ++chars;
    lower = lower || (c >= 'a' && c <= 'z');
    upper = upper || (c >= 'A' && c <= 'Z');
    digit = digit || (c >= '0' && c <= '9');
    wide = wide || c >= 0x80;
    other = other || (c < 0x80 && !std::isalnum(c));
  }
  const double pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 33 : 0) + (wide ? 100 : 0);
  const double bits = chars == 0 || pool <= 1 ? 0 : static_cast<double>(chars) * std::log2(pool);
  short_one = chars < 8;
  return bits < 28 ? "weak" : bits < 45 ? "fair" : bits < 64 ? "good" : "strong";
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}
}  // namespace

bool App::on_scale_changed(float dpr) {
  if (dpr == dpr_) return false;
  dpr_ = dpr;
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  // Rasterise at device pixels, draw at CSS pixels: crisp at any DPR.
  // Latin with extensions, Greek, Cyrillic, punctuation (… — “ ”), arrows and check marks:
  // what file names and our own text use most. CJK and emoji would need a multi-megabyte
  // font and atlas; such characters show as '?' on screen (the saved names are exact).
  static const ImWchar kRanges[] = {0x0020, 0x024F, 0x0370, 0x03FF, 0x0400, 0x04FF, 0x2000, 0x206F,
                                    0x20A0, 0x20CF, 0x2190, 0x21FF, 0x2713, 0x2717, 0};
  io.Fonts->AddFontFromFileTTF(kFontPath, kFontCssPx * dpr, nullptr, kRanges);
  g_title_font = io.Fonts->AddFontFromFileTTF(kFontPath, kTitleCssPx * dpr, nullptr, kRanges);
  io.FontGlobalScale = 1.0f / dpr;
  io.Fonts->Build();
  apply_theme();
  return true;
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
  style.GrabRounding = 8;
  style.FramePadding = ImVec2(14, 10);
  style.ItemSpacing = ImVec2(12, 12);
  style.WindowPadding = ImVec2(20, 20);
  style.ScrollbarSize = 12;
  const ImVec4 accent = dark_ ? ImVec4(0.30f, 0.62f, 1.0f, 1.0f) : ImVec4(0.10f, 0.42f, 0.90f, 1.0f);
  style.Colors[ImGuiCol_Button] = accent;
  style.Colors[ImGuiCol_ButtonHovered] = ImVec4(accent.x + 0.08f, accent.y + 0.08f, accent.z, 1.0f);
  style.Colors[ImGuiCol_ButtonActive] = ImVec4(accent.x - 0.08f, accent.y - 0.08f, accent.z, 1.0f);
  style.Colors[ImGuiCol_PlotHistogram] = accent;
  style.Colors[ImGuiCol_WindowBg] = background();
  style.Colors[ImGuiCol_ChildBg] = dark_ ? ImVec4(0.12f, 0.13f, 0.16f, 1) : ImVec4(1, 1, 1, 1);
  style.Colors[ImGuiCol_Text] = dark_ ? ImVec4(0.93f, 0.94f, 0.96f, 1) : ImVec4(0.08f, 0.09f, 0.11f, 1);
}

ImVec4 App::background() const {
  return dark_ ? ImVec4(0.086f, 0.094f, 0.114f, 1.0f) : ImVec4(0.957f, 0.961f, 0.969f, 1.0f);
}

void App::draw(int css_width, int css_height, float scroll_px) {
  const app::Snapshot s = client_.snapshot();
  ui_events_ = client_.take_ui_events();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(static_cast<float>(css_width), static_cast<float>(css_height)));
  ImGui::Begin("Ferry", nullptr,
               // NoBackground: the frame's glClear paints the same colour (background()); a
               // full-canvas blended quad is the costliest draw in software GL.
               ImGuiWindowFlags_NoBackground | ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_AlwaysVerticalScrollbar * 0);
  if (scroll_px != 0) ImGui::SetScrollY(ImGui::GetScrollY() - scroll_px);
  const float avail = ImGui::GetContentRegionAvail().x;
  const float column = avail > kMaxColumnPx ? kMaxColumnPx : avail;
  ImGui::SetCursorPosX((avail - column) * 0.5f + ImGui::GetStyle().WindowPadding.x);
  ImGui::BeginGroup();
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + column);
  if (s.phase != app::Phase::kIdle && !room_password_.empty()) {
    // The room took the password: it leaves this page's memory and the DOM field.
    sodium_memzero(room_password_.data(), room_password_.size());
    room_password_.clear();
    protect_ = false;
    client_.set_room_password(std::string());
    emscripten::val::module_property("ferryGlue").call<void>("clearText", std::string("room-password"));
  }
  if (s.phase == app::Phase::kIdle) {
    draw_home(column);
  } else {
    draw_session(s, column);
  }
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
  ImGui::Dummy(ImVec2(0, 24));
  ImGui::End();
  widgets_.end_frame();
  announce(s);
}

bool App::take_text(const char* id, std::string& value) {
  bool entered = false;
  for (auto& ev : ui_events_) {
    const size_t nl = ev.text.find('\n');
    if ((ev.kind != "text" && ev.kind != "text_enter") || nl == std::string::npos || ev.text.compare(0, nl, id) != 0) {
      continue;
    }
    value.assign(ev.text, nl + 1, std::string::npos);
    entered = entered || ev.kind == "text_enter";
  }
  return entered;
}

bool App::pressed(const std::string& id) const {
  for (const auto& ev : ui_events_) {
    if (ev.kind == "gesture" && ev.text == id) return true;
  }
  return false;
}

void App::take_strength() {
  for (auto& ev : ui_events_) {
    if (ev.kind != "strength") continue;
    // zxcvbn's verdict on the typed password (web/platform/js/ui.js): a score 0-4 and a hint.
    const auto j = nlohmann::json::parse(ev.text, nullptr, false);
    if (!j.is_object() || !j.contains("score") || !j["score"].is_number_integer()) continue;
    strength_score_ = std::clamp(j["score"].get<int>(), 0, 4);
    strength_hint_ = j.contains("warning") && j["warning"].is_string() ? j["warning"].get<std::string>().substr(0, 200) : "";
  }
}

void App::field(const char* id, const char* hint, Gesture gesture, float column, const char* label) {
  // The field's text is a real DOM input over this frame (see Gesture::kText); ImGui draws the
  // frame, and the hint while the field is empty (the DOM input draws what is typed).
  const float field_h = ImGui::GetFrameHeight();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton((std::string("##") + id).c_str(), ImVec2(column, field_h));
  ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + column, p.y + field_h),
                                            ImGui::GetColorU32(ImGuiCol_FrameBg), ImGui::GetStyle().FrameRounding);
  if (hint != nullptr) {
    ImGui::GetWindowDrawList()->AddText(ImVec2(p.x + ImGui::GetStyle().FramePadding.x, p.y + ImGui::GetStyle().FramePadding.y),
                                        ImGui::GetColorU32(ImGuiCol_TextDisabled), hint);
  }
  widgets_.name_last(id, gesture, label);
}

void App::draw_password_prompt(float column) {
  heading("This room is protected with a password");
  ImGui::TextWrapped("Type the password the sender gave you. Ferry allows only a few wrong tries.");
  const bool entered = take_text("link-password", link_password_);
  field("link-password", link_password_.empty() ? "Password" : nullptr, Gesture::kPassword, column,
        "The room's password");
  bool clicked = primary_button("Join##join-with-password", column);
  widgets_.name_last("join-with-password", Gesture::kPress, "Join with this password");
  clicked = clicked || pressed("join-with-password");
  if ((entered || clicked) && !link_password_.empty()) {
    const Status st = client_.join_with_password(link_password_);
    home_error_ = st ? "" : st.error().message;
    if (st) {
      sodium_memzero(link_password_.data(), link_password_.size());
      link_password_.clear();
      emscripten::val::module_property("ferryGlue").call<void>("clearText", std::string("link-password"));
    }
  }
}

void App::draw_home(float column) {
  ImGui::Dummy(ImVec2(column, 16));
  title();
  if (client_.awaiting_password()) {
    draw_password_prompt(column);
    const std::string& err = home_error_;
    if (!err.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.35f, 0.35f, 1));
      ImGui::TextWrapped("%s", err.c_str());
      ImGui::PopStyleColor();
    }
    return;
  }
  ImGui::TextWrapped(
      "Send files straight to another device. End-to-end encrypted: nothing is stored on a "
      "server, and only the person you share the link with can open them.");
  // Devices nearby come first, where a tap sends to them; with none yet, the section (its hint
  // and the switch) waits below Receive, so a phone's first screen keeps Send and Receive.
  const bool nearby_first = client_.nearby() && !client_.nearby()->devices().empty();
  if (nearby_first) draw_nearby(column);
  widgets_.heading_last("Send", 2);
  ImGui::Dummy(ImVec2(column, 8));
  // A protected room needs its password before the files are chosen (choosing them creates it).
  const bool needs_password = protect_ && room_password_.empty();
  primary_button("Send files", column);
  widgets_.name_last("send-files", needs_password ? Gesture::kNone : Gesture::kFiles, "", "Send files");
  primary_button("Send a folder", column);
  widgets_.name_last("send-folder", needs_password ? Gesture::kNone : Gesture::kFolder, "", "Send a folder");
  ImGui::TextDisabled(needs_password ? "Type a password first, or untick it" : "or drop files or a folder anywhere on this page");
  if (checkbox_row("protect-password", protect_, "Protect with a password", column) && !protect_) {
    sodium_memzero(room_password_.data(), room_password_.size());
    room_password_.clear();
    emscripten::val::module_property("ferryGlue").call<void>("clearText", std::string("room-password"));
  }
  if (protect_) {
    take_text("room-password", room_password_);
    take_strength();
    if (!strength_watched_) {
      // zxcvbn loads only now, for someone who protects a room (it is 800 KB).
      strength_watched_ = true;
      emscripten::val::module_property("ferryGlue").call<void>("watchStrength", std::string("room-password"));
    }
    field("room-password", room_password_.empty() ? "Password the other device must type" : nullptr,
          Gesture::kPassword, column, "Password for this room");
    if (!room_password_.empty()) {
      bool short_one = false;
      const char* how = strength(room_password_, short_one);
      // zxcvbn's score when it has loaded; the rough estimate until then (or if it cannot load).
      static const char* const kScores[] = {"very weak", "weak", "fair", "good", "strong"};
      if (strength_score_ >= 0) how = kScores[strength_score_];
      ImGui::TextDisabled("Strength: %s", how);
      widgets_.name_last(strength_score_ >= 0 ? "password-strength-zxcvbn" : "password-strength");
      if (strength_score_ >= 0 && !strength_hint_.empty()) ImGui::TextDisabled("%s", strength_hint_.c_str());
      if (short_one) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.75f, 0.3f, 1));
        ImGui::TextWrapped("A short password: allowed, since the room gives only 3 wrong tries, but a longer "
                           "one is safer.");
        ImGui::PopStyleColor();
        widgets_.name_last("password-short");
      }
      ImGui::TextDisabled("The link and the code will carry no secret: tell the other person the password.");
    }
  }
  client_.set_room_password(protect_ ? room_password_ : std::string());
  ImGui::Dummy(ImVec2(column, 12));
  ImGui::TextUnformatted("Receive");
  widgets_.heading_last("Receive", 2);
  std::string typed = code_;
  bool entered = take_text("code-input", typed);
  std::snprintf(code_, sizeof code_, "%s", typed.c_str());
  field("code-input", code_[0] == '\0' ? "Code, e.g. 7-orbit-velvet" : nullptr, Gesture::kText, column,
        "Code from the other device");
  // A bare number is a password room's code: the password authenticates the join.
  bool bare = code_[0] != '\0';
  for (const char* c = code_; *c != '\0'; ++c) bare = bare && ((*c >= '0' && *c <= '9') || *c == ' ');
  if (bare) {
    entered = take_text("join-password", join_password_) || entered;
    field("join-password", join_password_.empty() ? "The room's password" : nullptr, Gesture::kPassword, column,
          "The room's password");
  }
  const bool clicked = button("receive", "Receive files", "Receive files", column);
  if (entered || clicked) {
    const Status st = client_.join_code(code_, bare ? join_password_ : std::string());
    home_error_ = st ? "" : st.error().message;
    if (st && bare) {
      sodium_memzero(join_password_.data(), join_password_.size());
      join_password_.clear();
      emscripten::val::module_property("ferryGlue").call<void>("clearText", std::string("join-password"));
    }
  }
  const std::string& err = !home_error_.empty() ? home_error_ : client_.join_error();
  if (!err.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.35f, 0.35f, 1));
    ImGui::TextWrapped("%s", err.c_str());
    ImGui::PopStyleColor();
  }
  ImGui::Dummy(ImVec2(column, 8));
  ImGui::TextDisabled("Received files are kept %s.",
                      client_.storage_mode() == "opfs" ? "on this device's disk until you save them or leave"
                                                       : "in memory (small files only: open Ferry over https for large files)");
  if (!nearby_first) {
    ImGui::Dummy(ImVec2(column, 4));
    draw_nearby(column);
  }
  // Files kept after Leave ("keep until saved") can still be saved from here.
  bool kept = false;
  for (const auto& f : client_.received()) kept = kept || (f.finished && !f.removed);
  if (kept) draw_received(app::Snapshot{}, column);
  draw_history(column);
}

void App::draw_history(float column) {
  const auto& entries = client_.history();
  if (entries.empty()) return;
  // Most entries drawn: the list is for a glance at what happened lately.
  constexpr size_t kShownEntries = 10;
  heading("History (kept on this device only)");
  for (size_t i = 0; i < entries.size() && i < kShownEntries; ++i) {
    const auto& e = entries[i];
    const size_t moved = e.files.size();
    std::string what = std::string(e.sent ? "Sent " : "Received ") + plural(moved, "file", "files");
    if (e.result == "declined") what = std::string(e.sent ? "Offered " : "Declined ") + plural(e.offered, "file", "files");
    if (e.result != "declined" && moved < e.offered) what += " of " + std::to_string(e.offered);
    ImGui::TextWrapped("%s  ·  %s (%s)  ·  %s", e.when.c_str(), what.c_str(), format_bytes(static_cast<double>(e.bytes)).c_str(),
                       e.result.c_str());
    widgets_.name_last("history-" + std::to_string(i));
    std::string names;
    for (const auto& f : e.files) names += (names.empty() ? "" : ", ") + f.name;
    if (!names.empty()) ImGui::TextDisabled("%s", names.c_str());
    if (!e.words.empty()) ImGui::TextDisabled("Words: %s", e.words.c_str());
  }
  const bool clear = primary_button("Clear history", column);
  widgets_.name_last("clear-history", Gesture::kPress, "Clear history");
  if (clear || pressed("clear-history")) client_.clear_history();
}

void App::draw_session(const app::Snapshot& s, float column) {
  title();

  // Status line, red when the session failed.
  if (s.phase == app::Phase::kFailed) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.35f, 0.35f, 1));
    ImGui::TextWrapped("%s", s.status.c_str());
    ImGui::PopStyleColor();
    widgets_.name_last("status");
    if (client_.can_retry_password()) {
      const bool again = primary_button("Try the password again", column);
      widgets_.name_last("retry-password", Gesture::kPress, "Try the password again");
      if (again || pressed("retry-password")) client_.retry_password();
    }
    if (button("start-over", "Start over", "Start over", column)) {
      client_.forget_join();
      emscripten::val::global("location").set("href", std::string("/"));
    }
  } else {
    ImGui::TextWrapped("%s", s.status.c_str());
    widgets_.name_last("status");
  }

  if (s.creator && !s.link.empty() && s.nearby_peer.empty() &&
      (s.phase == app::Phase::kWaitingForPeer || s.phase == app::Phase::kPeerLeft ||
       s.phase == app::Phase::kSecuring)) {
    draw_share(s, column);
  }

  if (!s.sas.empty()) {
    heading(s.sas_changed ? "Verification words (changed)" : "Verification words");
    if (s.nearby_peer.empty()) {
      ImGui::TextWrapped("%s", s.sas.c_str());
    } else {
      draw_nearby_words(s);
    }
    widgets_.name_last("sas");
    if (s.sas_changed) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.75f, 0.3f, 1));
      ImGui::TextWrapped("The connection was secured again and the words changed. Compare the new words "
                         "on both screens before you go on.");
      ImGui::PopStyleColor();
      widgets_.name_last("sas-changed");
    } else {
      ImGui::TextDisabled("Both screens show the same words when nobody is in the middle.");
    }
  }
  if (s.rekeying) {
    ImGui::TextDisabled("The other device is securing the connection again; sending waits until it has.");
    widgets_.name_last("rekeying");
  }
  if (s.phase == app::Phase::kConnected || s.path != app::PathKind::kNone) {
    heading("Connection");
    std::string path;
    if (s.path != app::PathKind::kNone) path = std::string(" · ") + app::to_string(s.path);
    if (s.path != app::PathKind::kNone && s.lanes > 1) path += ", " + std::to_string(s.lanes) + " lanes";
    ImGui::Text("%s%s", s.peer_present ? "Other device connected" : "Other device away", path.c_str());
    widgets_.name_last("path");
  }
  if (s.phase == app::Phase::kConnected) {
    primary_button("Send more files", column);
    widgets_.name_last("send-files", Gesture::kFiles, "", "Send more files");
    primary_button("Send a folder", column);
    widgets_.name_last("send-folder", Gesture::kFolder, "", "Send a folder");
  }
  draw_transfers(s, column);
  draw_received(s, column);
  ImGui::Dummy(ImVec2(column, 8));
  bool keep = client_.keep_until_saved();
  if (checkbox_row("keep-files", keep, "Keep received files after I leave, until I save them", column)) {
    client_.set_keep_until_saved(keep);
  }
  if (button("leave", "Leave", "Leave", column)) client_.close_session();
  draw_log(column);
  // Below the log its messages land in, like a chat; nothing above it moves.
  if (s.phase != app::Phase::kFailed) draw_messages(s, column);
}

void App::draw_nearby_words(const app::Snapshot& s) {
  ImGui::TextWrapped("Nearby devices share no secret. Check that %s shows these same words:",
                     s.nearby_peer.c_str());
  ImGui::PushFont(g_title_font);
  ImGui::TextWrapped("%s", s.sas.c_str());
  ImGui::PopFont();
}

void App::draw_share(const app::Snapshot& s, float column) {
  heading(s.password_room ? "Code to type on the other device, with the password" : "Code to type on the other device");
  if (s.code_dead && s.password_room) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.35f, 0.35f, 1));
    ImGui::TextWrapped("This room no longer accepts its password: someone tried wrong passwords too often. "
                       "Leave, and start a new room.");
    ImGui::PopStyleColor();
    widgets_.name_last("code-dead");
  } else if (s.code_dead) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.35f, 0.35f, 1));
    ImGui::TextWrapped("This code no longer works: someone tried wrong codes too often. The link below "
                       "still works.");
    ImGui::PopStyleColor();
    widgets_.name_last("code-dead");
    if (button("new-code", "New code", "New code", column)) client_.session().new_code();
  } else if (s.short_code.empty()) {
    ImGui::TextWrapped("The server has no short code free right now: share the link below.");
    widgets_.name_last("no-code");
  } else {
    ImGui::PushFont(g_title_font);
    ImGui::TextUnformatted(s.short_code.c_str());
    ImGui::PopFont();
    widgets_.name_last("short-code");
    primary_button("Copy code", column);
    // Named for what it does: the code itself never goes into the DOM.
    widgets_.name_last("copy-code", Gesture::kCopy, s.short_code, "Copy the code");
  }

  heading(s.password_room ? "Or open this link (it asks for the password)" : "Or open this link");
  ImGui::TextWrapped("%s", s.link.c_str());
  widgets_.name_last("link");
  primary_button("Copy link", column);
  widgets_.name_last("copy-link", Gesture::kCopy, s.link, "Copy the link");

  const float qr = column < 260 ? column : 260;
  ImGui::Dummy(ImVec2(0, 4));
  draw_qr(s.link, qr);
  widgets_.name_last("qr");
}

void App::draw_qr(const std::string& text, float size) {
  const qrcodegen::QrCode qr = qrcodegen::QrCode::encodeText(text.c_str(), qrcodegen::QrCode::Ecc::MEDIUM);
  const int n = qr.getSize();
  const int quiet = 4;  // the standard's quiet zone, in modules: scanners need it
  const float module = std::floor(size / static_cast<float>(n + 2 * quiet));
  const float side = module * static_cast<float>(n + 2 * quiet);
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + side, p.y + side), IM_COL32(255, 255, 255, 255));
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      if (!qr.getModule(x, y)) continue;
      const ImVec2 a(p.x + static_cast<float>(x + quiet) * module, p.y + static_cast<float>(y + quiet) * module);
      dl->AddRectFilled(a, ImVec2(a.x + module, a.y + module), IM_COL32(0, 0, 0, 255));
    }
  }
  ImGui::Dummy(ImVec2(side, side));
}

namespace {

// Rows drawn per transfer: a folder of 10,000 files shows its first rows and a count, so a
// frame stays cheap; the totals cover everything.
constexpr size_t kMaxFileRows = 50;
// More rows than this scroll in a box of about this many rows' height, so that the buttons
// after the list (Accept, Pause, Save all) stay on screen.
constexpr size_t kInlineFileRows = 6;
constexpr float kRowBoxRows = 5.5f;

// A box the rows of a long list scroll in (nothing for a short one); end_rows closes it.
bool begin_rows(const std::string& id, size_t rows, float column, float row_height) {
  if (rows <= kInlineFileRows) return false;
  ImGui::BeginChild(("rows-" + id).c_str(), ImVec2(column, row_height * kRowBoxRows), true);
  return true;
}
void end_rows(bool boxed) {
  if (boxed) ImGui::EndChild();
}

std::string path_of(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// "folder “Trip”", or "3 folders", or "" for loose files: what a tree's files are in.
std::string tree_summary(const transfer::TransferProgress& p) {
  std::set<std::string> tops;
  bool loose = false;
  for (const auto& f : p.files) {
    if (f.dir.empty()) loose = true;
    else tops.insert(f.dir.substr(0, f.dir.find('/')));
  }
  for (const auto& d : p.empty_dirs) tops.insert(d.substr(0, d.find('/')));
  if (tops.empty()) return "";
  if (tops.size() == 1 && !loose) return "folder \"" + *tops.begin() + "\"";
  return std::to_string(tops.size()) + (tops.size() == 1 ? " folder" : " folders") + (loose ? " and loose files" : "");
}

}  // namespace

const std::string& App::tree_of(const app::TransferView& t) {
  auto [it, fresh] = trees_.try_emplace({t.outgoing, t.id});
  auto& [files, summary] = it->second;
  if (fresh || files != t.progress->files.size()) {
    files = t.progress->files.size();
    summary = tree_summary(*t.progress);
  }
  return summary;
}

int App::ordinal(bool outgoing, uint32_t transfer_id) {
  auto [it, fresh] = ordinals_.try_emplace({outgoing, transfer_id}, 0);
  if (fresh) it->second = next_ordinal_[outgoing ? 1 : 0]++;
  return it->second;
}

void App::draw_transfers(const app::Snapshot& s, float column) {
  if (s.transfers.empty()) return;
  // In the order they appeared: outgoing first, then incoming.
  std::vector<const app::TransferView*> order;
  for (const auto& t : s.transfers) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [this](const app::TransferView* x, const app::TransferView* y) {
    if (x->outgoing != y->outgoing) return x->outgoing;
    return ordinal(x->outgoing, x->id) < ordinal(y->outgoing, y->id);
  });
  for (const app::TransferView* tp : order) {
    const auto& t = *tp;
    const std::string name = std::to_string(ordinal(t.outgoing, t.id));
    using State = app::TransferState;
    const bool moving = app::moving(t.state);
    const bool paused_by_peer = t.state == State::kPaused && !t.paused_here;
    char title[96];
    std::snprintf(title, sizeof title, "%s%s%s%s", t.outgoing ? "Sending" : "Receiving", moving ? "" : " (",
                  moving ? "" : (paused_by_peer ? "paused by the other device" : app::to_string(t.state)), moving ? "" : ")");
    const std::string id = (t.outgoing ? "out-" : "in-") + name;
    if (t.state == State::kOffered) {
      draw_offer(s, t, id, column);
      continue;
    }
    heading(title);
    const size_t offered = t.progress->files.size();
    if (t.state == State::kAwaitingAnswer) {
      ImGui::TextWrapped("Waiting for the other device to accept.");
      widgets_.name_last("answer-" + id);
    } else if (t.state == State::kDeclined) {
      ImGui::TextWrapped("The other device declined %s.", offered == 1 ? "this file" : "these files");
      widgets_.name_last("answer-" + id);
    } else if (t.outgoing && t.answered && t.accepted_files < offered) {
      ImGui::TextWrapped("Partly accepted: the other device takes %zu of %zu files.", t.accepted_files, offered);
      widgets_.name_last("answer-" + id);
    }
    const std::string& tree = tree_of(t);
    if (offered > kMaxFileRows || !tree.empty()) {
      // The whole transfer at a glance: a folder's many files show only their first rows.
      const size_t done = t.progress->files_complete;
      const double total = static_cast<double>(t.progress->bytes_total);
      char overlay[128];
      std::snprintf(overlay, sizeof overlay, "%zu of %zu files  ·  %s / %s", done, offered,
                    format_bytes(static_cast<double>(t.progress->bytes_done)).c_str(), format_bytes(total).c_str());
      if (!tree.empty()) ImGui::TextWrapped("In %s", tree.c_str());
      ImGui::ProgressBar(total > 0 ? static_cast<float>(static_cast<double>(t.progress->bytes_done) / total) : 0.0f,
                         ImVec2(column, 0), overlay);
      widgets_.name_last("total-" + id);
    }
    size_t rows = 0;
    const bool boxed = begin_rows(id, offered, column, 2 * ImGui::GetFrameHeightWithSpacing());
    const float row_w = boxed ? ImGui::GetContentRegionAvail().x : column;  // inside the box's scrollbar
    for (const auto& f : t.progress->files) {
      if (++rows > kMaxFileRows) {
        ImGui::TextDisabled("... and %zu more files", offered - kMaxFileRows);
        break;
      }
      if (f.state == transfer::FileState::kSkipped) {
        // A file the receiver left out: nothing of it moves.
        ImGui::TextDisabled("%s  (%s)", path_of(f.dir, f.name).c_str(), t.state == State::kDeclined ? "declined" : "not wanted");
        continue;
      }
      const float frac = f.size == 0 ? (f.state == transfer::FileState::kComplete ? 1.0f : 0.0f)
                                     : static_cast<float>(static_cast<double>(f.bytes_done) / static_cast<double>(f.size));
      ImGui::TextWrapped("%s", path_of(f.dir, f.name).c_str());
      char overlay[96];
      std::snprintf(overlay, sizeof overlay, "%s / %s", format_bytes(static_cast<double>(f.bytes_done)).c_str(),
                    format_bytes(static_cast<double>(f.size)).c_str());
      ImGui::ProgressBar(frac, ImVec2(row_w, 0), overlay);
      widgets_.name_last((t.outgoing ? "out-" : "in-") + name + "-" + std::to_string(f.file_id));
      // Speed and time left per file, while it moves (a transfer of several files shows which).
      const size_t fi = static_cast<size_t>(&f - t.progress->files.data());
      const double file_speed = fi < t.file_bytes_per_second.size() ? t.file_bytes_per_second[fi] : 0;
      if (moving && t.progress->files.size() > 1 && file_speed >= 1 && f.bytes_done < f.size) {
        ImGui::TextDisabled("%s/s  %s", format_bytes(file_speed).c_str(),
                            eta(static_cast<double>(f.size - f.bytes_done), file_speed).c_str());
        widgets_.name_last((t.outgoing ? "speed-out-" : "speed-in-") + name + "-" + std::to_string(f.file_id));
      }
    }
    end_rows(boxed);
    const double remaining = static_cast<double>(t.progress->bytes_total - t.progress->bytes_done);
    if (moving) {
      ImGui::TextDisabled("%s/s  %s", format_bytes(t.bytes_per_second).c_str(), eta(remaining, t.bytes_per_second).c_str());
    }
    // Screen readers hear which transfer a button acts on: "Pause sending notes.txt".
    const std::string what = std::string(t.outgoing ? " sending " : " receiving ") +
                             (offered == 1 ? path_of(t.progress->files[0].dir, t.progress->files[0].name)
                                           : plural(offered, "file", "files"));
    if (moving || t.state == State::kWaiting || t.state == State::kAwaitingAnswer) {
      if (button("pause-" + id, "Pause", "Pause" + what, 0)) client_.session().pause(t.id, t.outgoing);
      ImGui::SameLine();
      if (button("cancel-" + id, "Cancel", "Cancel" + what, 0)) client_.session().cancel(t.id, t.outgoing);
    } else if (t.state == State::kPaused) {
      // Only the side that paused can resume; the other may still add its own pause.
      if (t.paused_here) {
        if (button("resume-" + id, "Resume", "Resume" + what, 0)) client_.session().resume(t.id, t.outgoing);
      } else {
        if (button("pause-" + id, "Pause", "Pause" + what, 0)) client_.session().pause(t.id, t.outgoing);
      }
      ImGui::SameLine();
      if (button("cancel-" + id, "Cancel", "Cancel" + what, 0)) client_.session().cancel(t.id, t.outgoing);
    }
  }
}

void App::draw_offer(const app::Snapshot& s, const app::TransferView& t, const std::string& id, float column) {
  const auto& files = t.progress->files;
  auto& picks = picks_[t.id];
  if (picks.size() != files.size()) picks.assign(files.size(), true);
  heading("Incoming files");
  // A nearby device by the name it gave itself (only a claim: the words below are the proof).
  const std::string who = s.nearby_peer.empty() ? std::string("The other device") : "Nearby device " + s.nearby_peer;
  ImGui::TextWrapped("%s wants to send you %s (%s).", who.c_str(), plural(files.size(), "file", "files").c_str(),
                     format_bytes(static_cast<double>(t.progress->bytes_total)).c_str());
  widgets_.name_last("offer-" + id);
  const std::string& tree = tree_of(t);
  if (!tree.empty()) {
    ImGui::TextWrapped("In %s%s.", tree.c_str(),
                       t.progress->empty_dirs.empty() ? "" : (", with " + plural(t.progress->empty_dirs.size(), "empty folder", "empty folders")).c_str());
    widgets_.name_last("offer-tree-" + id);
  }
  const bool boxed = begin_rows(id, files.size(), column, 2 * ImGui::GetTextLineHeightWithSpacing() + 8);
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    if (i == kMaxFileRows) {
      // Beyond the first rows files are taken or left with the offer as a whole.
      ImGui::TextDisabled("... and %zu more files (accepted with the rest)", files.size() - kMaxFileRows);
      break;
    }
    bool on = picks[i];
    const float left = ImGui::GetCursorPosX();
    const std::string path = path_of(f.dir, f.name);
    if (check("pick-" + id + "-" + std::to_string(f.file_id), on,
              "Take " + path + " (" + format_bytes(static_cast<double>(f.size)) + ")")) {
      picks[i] = on;
    }
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(left + column);
    ImGui::TextWrapped("%s", path.c_str());
    ImGui::TextDisabled("%s%s%s", format_bytes(static_cast<double>(f.size)).c_str(), f.mime.empty() ? "" : "  ·  ",
                        f.mime.c_str());
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
  }
  end_rows(boxed);
  if (!s.sas.empty()) {
    // The words large: comparing them with the sender's screen is what rules out someone in
    // the middle.
    if (s.nearby_peer.empty()) {
      ImGui::TextDisabled("From the device showing these words:");
      ImGui::PushFont(g_title_font);
      ImGui::TextWrapped("%s", s.sas.c_str());
      ImGui::PopFont();
    } else {
      draw_nearby_words(s);
    }
    widgets_.name_last("offer-sas-" + id);
  }
  bool all = client_.session().accept_all();
  if (checkbox_row("accept-all", all, "Accept everything from this device for this session", column)) {
    client_.session().set_accept_all(all);
  }
  std::vector<uint32_t> chosen;
  for (size_t i = 0; i < files.size(); ++i) {
    if (picks[i]) chosen.push_back(files[i].file_id);
  }
  const std::string accept_label =
      chosen.size() == files.size() ? std::string("Accept") : "Accept " + std::to_string(chosen.size()) + " of " + std::to_string(files.size());
  ImGui::BeginDisabled(chosen.empty());
  const bool accept = primary_button((accept_label + "##accept-" + id).c_str(), 0);
  ImGui::EndDisabled();
  widgets_.name_last("accept-" + id, Gesture::kPress, accept_label + " (" + plural(files.size(), "file", "files") + " offered)");
  // Session::accept ignores an empty choice, and both calls ignore an offer already answered.
  if (accept || pressed("accept-" + id)) {
    client_.session().accept(t.id, chosen);
    picks_.erase(t.id);
  }
  ImGui::SameLine();
  const bool decline = primary_button(("Decline##decline-" + id).c_str(), 0);
  widgets_.name_last("decline-" + id, Gesture::kPress, "Decline the offered files");
  if (decline || pressed("decline-" + id)) {
    client_.session().decline(t.id);
    picks_.erase(t.id);
  }
  if (chosen.empty()) ImGui::TextDisabled("Tick at least one file, or decline.");
}

void App::draw_received(const app::Snapshot& s, float column) {
  bool any = false;
  for (const auto& f : client_.received()) any = any || f.finished || f.failed;
  if (!any) return;
  heading("Received files");
  // Per transfer (tree): a "save all" when it has folders or several files, then its rows.
  std::vector<std::string> trees;
  std::map<std::string, std::vector<const web::ReceivedFile*>> by_tree;
  std::map<std::string, size_t> pending;  // files of the tree still arriving
  for (const auto& f : client_.received()) {
    if (!f.finished && !f.failed) {
      ++pending[f.tree];
      continue;
    }
    auto& list = by_tree[f.tree];
    if (list.empty()) trees.push_back(f.tree);
    list.push_back(&f);
  }
  for (const auto& tree : trees) {
    const auto& files = by_tree[tree];
    size_t ready = 0;
    bool folders = false;
    std::set<std::string> tops;
    for (const auto* f : files) {
      ready += f->finished && !f->removed ? 1 : 0;
      folders = folders || !f->dir.empty();
      if (!f->dir.empty()) tops.insert(f->dir.substr(0, f->dir.find('/')));
    }
    for (const auto& t : s.transfers) {
      if (!t.outgoing && t.id == files.front()->transfer_id) client_.tell_tree_dirs(tree, t.progress->empty_dirs);
    }
    // Only a whole tree is saved: never a folder with files still missing.
    if (ready > 0 && (folders || ready > 1) && pending[tree] > 0) {
      ImGui::TextDisabled("Save all: when the other %s arrived", plural(pending[tree], "file has", "files have").c_str());
    } else if (ready > 0 && (folders || ready > 1)) {
      const std::string what = tops.size() == 1 ? "folder \"" + *tops.begin() + "\"" : plural(ready, "file", "files");
      const std::string label = client_.can_pick_folder() ? "Save " + what + " into a folder..." : "Download " + what + " as ZIP";
      const std::string id = "save-tree-" + std::to_string(ordinal(false, files.front()->transfer_id));
      primary_button((label + "##" + id).c_str(), column);
      widgets_.name_last(id, Gesture::kSaveTree, tree, label);
    }
    size_t rows = 0;
    const bool boxed = begin_rows(tree, files.size(), column, 2 * ImGui::GetFrameHeightWithSpacing());
    const float row_w = boxed ? ImGui::GetContentRegionAvail().x : column;
    for (const auto* fp : files) {
      const auto& f = *fp;
      if (++rows > kMaxFileRows) {
        ImGui::TextDisabled("... and %zu more files", files.size() - kMaxFileRows);
        break;
      }
      const std::string id = "save-" + std::to_string(ordinal(false, f.transfer_id)) + "-" + std::to_string(f.file_id);
      const std::string path = path_of(f.dir, f.name);
      if (f.failed) {
        ImGui::TextWrapped("%s: not received (discarded)", path.c_str());
        continue;
      }
      if (f.removed) {
        ImGui::TextWrapped("%s  (%s)  %s", path.c_str(), format_bytes(static_cast<double>(f.size)).c_str(),
                           f.saved ? "saved, and removed from this browser" : "removed from this browser");
        continue;
      }
      ImGui::TextWrapped("%s  (%s)%s", path.c_str(), format_bytes(static_cast<double>(f.size)).c_str(),
                         f.saved ? "  saved" : "");
      primary_button(("Save " + f.name + "##" + id).c_str(), row_w);
      widgets_.name_last(id, client_.can_save_as() ? Gesture::kSaveAs : Gesture::kDownload, std::to_string(f.sink),
                         "Save " + path);
    }
    end_rows(boxed);
  }
}

void App::draw_log(float column) {
  const auto& log = client_.log();
  if (log.empty()) return;
  heading("Activity");
  ImGui::BeginChild("log", ImVec2(column, 160), false);
  uint64_t number = client_.session().log_total() - log.size();  // the first line's, from 0
  for (const auto& l : log) {
    const int secs = static_cast<int>(l.time_ms / 1000);
    ImGui::TextDisabled("%02d:%02d", (secs / 60) % 60, secs % 60);
    ImGui::SameLine();
    if (l.kind == app::LogKind::kInfo) {
      ImGui::TextWrapped("%s", l.text.c_str());
    } else {
      draw_message_line(l, number);
    }
    ++number;
  }
  // Follow new lines while the person is at the bottom. ImGui applies the scroll on the next
  // frame, so a new line asks for one more paint at once (else it would show a paint late).
  const uint64_t total = client_.session().log_total();
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - 4) {
    ImGui::SetScrollHereY(1.0f);
    if (total != drawn_log_total_) extra_frame_ = true;
  }
  drawn_log_total_ = total;
  ImGui::EndChild();
  widgets_.name_last("log");
}

void App::announce(const app::Snapshot& s) {
  std::string text = s.status;
  // The code is a password: it is drawn on the canvas and copied by its button, never written
  // into the page's DOM (screen readers get a pointer to the button instead).
  if (s.creator && !s.short_code.empty() && !s.code_dead &&
      (s.phase == app::Phase::kWaitingForPeer || s.phase == app::Phase::kPeerLeft)) {
    text += " A code to type on the other device is on screen; Copy code copies it.";
  }
  if (s.sas_changed) text += " The verification words changed: compare them again.";
  if (s.path != app::PathKind::kNone) {
    text += std::string(" Connection: ") + app::to_string(s.path);
    if (s.lanes > 1) text += ", " + std::to_string(s.lanes) + " lanes";  // app/lanes.h
    text += ".";
  }
  for (const auto& t : s.transfers) {
    if (t.state == app::TransferState::kOffered) {
      text += " The other device offers " + plural(t.progress->files.size(), "file", "files") + " (" +
              format_bytes(static_cast<double>(t.progress->bytes_total)) + "): accept or decline.";
    }
    // A declined offer moves nothing (its files count no bytes), and still shows as declined.
    if (t.progress->bytes_total == 0 && t.state != app::TransferState::kDeclined) continue;
    const int pct = t.progress->bytes_total == 0
                        ? 0
                        : static_cast<int>(100.0 * static_cast<double>(t.progress->bytes_done) /
                                           static_cast<double>(t.progress->bytes_total));
    const bool moving = app::moving(t.state);
    text += " " + std::string(t.outgoing ? "Sending" : "Receiving") + (moving ? "" : std::string(" ") + app::to_string(t.state)) + " " +
            std::to_string(pct / 10 * 10) + "%.";
  }
  // The activity log, as text for screen readers (role=log): the lines not copied yet.
  const auto& lines = client_.log();
  const uint64_t total = client_.session().log_total();
  const size_t fresh = static_cast<size_t>(std::min<uint64_t>(total - logged_, lines.size()));
  for (size_t i = lines.size() - fresh; i < lines.size(); ++i) {
    const app::LogLine& l = lines[i];
    if (l.kind == app::LogKind::kInfo) {
      emscripten::val::module_property("ferryGlue").call<void>("logLine", l.text, std::string());
    } else {
      const bool sent = l.kind == app::LogKind::kMessageSent;
      emscripten::val::module_property("ferryGlue").call<void>(
          "logLine", (sent ? kMessageSentLabel : kMessageReceivedLabel) + l.text, std::string(sent ? "sent" : "received"));
    }
  }
  logged_ = total;
  if (text == last_announced_) return;
  last_announced_ = text;
  emscripten::val::module_property("ferryGlue").call<void>("announce", text);
}

}  // namespace ferry::ui
