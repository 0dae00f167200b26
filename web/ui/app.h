// The client's UI: screens drawn with ImGui each frame from the session's snapshot. The UI never
// owns protocol state: it reads Client::snapshot() and calls the Client's intent methods.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "client.h"
#include "imgui.h"
#include "ui/widgets.h"

namespace ferry::ui {

// How the page's DOM log (#ferry-log) introduces a message line; the text follows exactly.
inline constexpr const char* kMessageSentLabel = "Message sent: ";
inline constexpr const char* kMessageReceivedLabel = "Message received: ";

// Shared by the screens' files: a button in the accent colour (width 0: fit the label).
bool primary_button(const char* label, float width);

class App {
 public:
  explicit App(web::Client& client) : client_(client) {}

  // Reloads the font at the new devicePixelRatio so text stays crisp. Returns whether the font
  // atlas was rebuilt: then the renderer must upload it before the next frame.
  bool on_scale_changed(float dpr);
  // scroll_px: vertical scroll from touch drags since the last frame.
  void draw(int css_width, int css_height, float scroll_px);
  ImVec4 background() const;
  // The last frame moved a scroll that ImGui applies only on the next one (a new log line):
  // paint once more now rather than at the next state change. Taken once.
  bool take_extra_frame() { return std::exchange(extra_frame_, false); }

 private:
  void apply_theme();
  // The wordmark, and the page's h1 for screen readers.
  void title();
  // A section heading on the canvas, and an h2 in the page for screen readers.
  void heading(const std::string& text);
  // A primary button with a real DOM button over it (Gesture::kPress) named `name` for screen
  // readers: true when it was clicked, tapped, or pressed from the keyboard this frame.
  bool button(const std::string& id, const std::string& label, const std::string& name, float width);
  // A checkbox with a real DOM checkbox over it (Gesture::kCheck) named `name`; true when it
  // was toggled this frame (by ImGui or in the DOM), with `value` the new state.
  bool check(const std::string& id, bool& value, const std::string& name);
  // The same, with `label` beside it, wrapped in the column (and the name).
  bool checkbox_row(const std::string& id, bool& value, const char* label, float column);
  // This frame's toggles of the DOM checkbox `id` into `value`; true if it changed.
  bool take_check(const std::string& id, bool& value);
  void draw_home(float column);
  // The nearby devices' tiles and the switch that hides this one (ui/nearby.cpp).
  void draw_nearby(float column);
  // A nearby transfer's verification words, large, with what to do with them.
  void draw_nearby_words(const app::Snapshot& s);
  // A password room's link waits for its password.
  void draw_password_prompt(float column);
  // A text field drawn by ImGui with a real DOM input over it (Gesture::kText / kPassword).
  // label: the field's accessible name for screen readers (default: its widget id).
  void field(const char* id, const char* hint, Gesture gesture, float column, const char* label = "");
  // This frame's typed text for field `id` into `value`; true if Enter was pressed in it.
  bool take_text(const char* id, std::string& value);
  void take_strength();  // zxcvbn's verdicts on the room password, from this frame's events
  // The DOM button over widget `id` (Gesture::kPress) was pressed this frame: a click, a tap, or
  // Enter / Space from the keyboard or a screen reader.
  bool pressed(const std::string& id) const;
  void draw_session(const app::Snapshot& s, float column);
  void draw_share(const app::Snapshot& s, float column);
  void draw_transfers(const app::Snapshot& s, float column);
  // An incoming offer: its files (each with a tick), the verification words, Accept and Decline.
  void draw_offer(const app::Snapshot& s, const app::TransferView& t, const std::string& id, float column);
  void draw_received(const app::Snapshot& s, float column);
  void draw_history(float column);  // the home screen's list of this device's past transfers
  void draw_log(float column);
  // The message box and the message lines of the activity log (ui/messages.cpp).
  void draw_messages(const app::Snapshot& s, float column);
  void draw_message_line(const app::LogLine& line, uint64_t number);
  void send_message();
  void draw_qr(const std::string& text, float size);
  void announce(const app::Snapshot& s);
  // Widgets name transfers by the order they appeared on this page in each direction (out-1,
  // in-1, in-2, ...), not by protocol id: ids start at random (app/session.h), names stay
  // stable and readable for people and tests.
  int ordinal(bool outgoing, uint32_t transfer_id);
  // "folder “Trip”", "3 folders", ... (tree_summary): a transfer's folders never change, so
  // it is worked out once per transfer, not over its 10,000 files every frame.
  const std::string& tree_of(const app::TransferView& t);

  web::Client& client_;
  Widgets widgets_;
  float dpr_ = 0;
  bool dark_ = true;
  char code_[64] = {};
  bool protect_ = false;        // "Protect with a password"
  std::string room_password_;   // typed for a new room
  bool strength_watched_ = false;  // zxcvbn asked to watch the room-password field
  int strength_score_ = -1;        // zxcvbn's 0-4 for the typed password (-1: none yet)
  std::string strength_hint_;      // and its warning
  std::string join_password_;   // typed beside a password room's code
  std::string link_password_;   // typed for a password room's link
  std::string message_;        // the message box's text, as the DOM field reports it
  std::string message_error_;  // why the last message could not be sent
  std::string home_error_;
  std::string last_announced_;
  uint64_t logged_ = 0;  // activity lines copied to the DOM log so far
  uint64_t drawn_log_total_ = 0;  // log lines the log child showed last frame
  bool extra_frame_ = false;
  std::vector<web::BrowserEvent> ui_events_;  // this frame's page events (typed text, gestures)
  std::map<std::pair<bool, uint32_t>, int> ordinals_;
  // tree_of(): (the file count it was worked out for, the summary)
  std::map<std::pair<bool, uint32_t>, std::pair<size_t, std::string>> trees_;
  int next_ordinal_[2] = {1, 1};  // incoming, outgoing
  std::map<uint32_t, std::vector<bool>> picks_;  // an offer's ticked files, by transfer id
};

}  // namespace ferry::ui
