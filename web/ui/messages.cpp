// The message box and the message lines of the activity log (app/messages.h is the logic).
// The box is a real DOM textarea over an ImGui frame (Gesture::kTextArea), like the code field,
// so phones show their keyboard and screen readers find it by its label. Text longer than a
// message may be is sent as a .txt file by the glue (Gesture::kTextFile), through the same path
// as chosen files. Links in messages are shown as text, never opened.
#include <cstdio>
#include <string>

#include "ui/app.h"
#include "util/format.h"
#include "util/utf8.h"

namespace ferry::ui {

namespace {
// The box is this many lines of text tall: room for a link or a short note.
constexpr int kMessageBoxLines = 3;
// A message line in the log shows at most this much of the text (its Copy button copies it
// all): the log is a small scrolling pane, and a long text would push everything out.
constexpr size_t kMessagePreviewBytes = 280;
constexpr const char* kMessageField = "message-input";

bool looks_like_link(const std::string& text) {
  return text.find("://") != std::string::npos;
}
}  // namespace

void App::send_message() {
  const Status st = client_.session().send_message(message_);
  if (!st) {
    message_error_ = st.error().message;
    return;
  }
  message_error_.clear();
  message_.clear();
  widgets_.clear_text(kMessageField);
}

void App::draw_messages(const app::Snapshot& s, float column) {
  heading("Message");
  const std::string before = message_;
  const bool entered = take_text(kMessageField, message_);
  if (message_ != before) message_error_.clear();
  const ImGuiStyle& style = ImGui::GetStyle();
  const float box_h = ImGui::GetTextLineHeight() * kMessageBoxLines + style.FramePadding.y * 2;
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##message", ImVec2(column, box_h));
  ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + column, p.y + box_h),
                                            ImGui::GetColorU32(ImGuiCol_FrameBg),
                                            style.FrameRounding);
  if (message_.empty()) {
    ImGui::GetWindowDrawList()->AddText(
        ImVec2(p.x + style.FramePadding.x, p.y + style.FramePadding.y),
        ImGui::GetColorU32(ImGuiCol_TextDisabled), "Text or a link for the other device");
  }
  widgets_.name_last(kMessageField, Gesture::kTextArea, "Message to the other device");

  const bool too_long = message_.size() > protocol::kMaxMessageTextBytes;
  if (too_long) {
    ImGui::TextWrapped(
        "This text is longer than a message may be (64 KiB): it goes as a file instead (%s).",
        format_bytes(static_cast<double>(message_.size())).c_str());
    primary_button("Send as file", 0);
    widgets_.name_last("message-send-file", Gesture::kTextFile, kMessageField, "Send the text as a file");
  } else {
    if (button("message-send", "Send message", "Send message", 0) || entered) send_message();
  }
  ImGui::SameLine();
  primary_button("Paste", 0);
  widgets_.name_last("message-paste", Gesture::kPaste, kMessageField, "Paste into the message");
  if (s.messages_waiting > 0) {
    ImGui::TextDisabled("%zu %s for the connection to the other device", s.messages_waiting,
                        s.messages_waiting == 1 ? "message waits" : "messages wait");
    widgets_.name_last("messages-waiting");
  }
  if (!message_error_.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.95f, 0.35f, 0.35f, 1));
    ImGui::TextWrapped("%s", message_error_.c_str());
    ImGui::PopStyleColor();
    widgets_.name_last("message-error");
  }
}

// One message in the activity log: who wrote it, a Copy button, and the start of the text.
void App::draw_message_line(const app::LogLine& line, uint64_t number) {
  const bool sent = line.kind == app::LogKind::kMessageSent;
  ImGui::TextUnformatted(sent ? "You sent:" : "The other device sent:");
  ImGui::SameLine();
  const std::string id = "copy-message-" + std::to_string(number);
  ImGui::PushStyleColor(ImGuiCol_Text,
                        ImVec4(1, 1, 1, 1));  // as primary_button: white on the accent
  ImGui::SmallButton(("Copy##" + id).c_str());
  ImGui::PopStyleColor();
  widgets_.name_last(id, Gesture::kCopy, line.text, sent ? "Copy the message you sent" : "Copy the message received");
  const std::string_view preview = utf8_prefix(line.text, kMessagePreviewBytes);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(preview.data(), preview.data() + preview.size());
  ImGui::PopTextWrapPos();
  if (preview.size() < line.text.size()) {
    ImGui::TextDisabled("… (%s in all: Copy takes the whole text)",
                        format_bytes(static_cast<double>(line.text.size())).c_str());
  }
  if (!sent && looks_like_link(line.text)) {
    ImGui::TextDisabled("Links are not opened here: copy one to open it.");
  }
}

}  // namespace ferry::ui
