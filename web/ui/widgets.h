// Named widgets: each frame, the UI records the rectangle of every widget a person (or a test)
// may click, and places a transparent DOM element over the ones that need a user gesture
// (file picker, clipboard, save), because Safari allows those only inside the event handler.
// Every control a person can act on gets such an element (a button, a checkbox, a field), with
// a human accessible name, so that Tab reaches it and screen readers name it; the page keeps
// the elements, and hidden section headings, inside <main> in the order they are drawn (the
// visual order), so Tab and a screen reader's reading order follow the screen.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "imgui.h"

namespace ferry::ui {

enum class Gesture {
  kNone,      // a plain ImGui widget; its rectangle is only published
  kFiles,     // a file input sits over it: a tap opens the picker
  kFolder,    // a folder input (webkitdirectory) sits over it: a tap picks a folder to send
  kCopy,      // a tap copies `arg` to the clipboard
  kDownload,  // a tap offers the sink whose handle is `arg` as a download
  kSaveAs,    // a tap opens the save picker for the sink whose handle is `arg`
  kText,      // a real DOM text input lies over it (mobile keyboards); its value comes back
              // as "text" events; `arg`, if given, is its accessible name (aria-label)
  kPassword,  // the same, masked (input type=password)
  kTextArea,  // the same with a multi-line textarea (Enter: "text_enter", Shift+Enter: newline)
  kPaste,     // a tap reads the clipboard into the text field whose widget id is `arg`
  kTextFile,  // a tap sends the text of the field `arg` as a .txt file, and empties the field
  kSaveTree,  // a tap saves every finished file of the incoming transfer whose storage key
              // prefix is `arg`, with its folders: into a folder the person picks where the
              // browser can (showDirectoryPicker), else as one ZIP download
  kPress,     // a real DOM button lies over it, named `arg` for screen readers and reachable by
              // Tab; a press comes back as a "gesture" event (App::pressed)
  kCheck,     // a real DOM checkbox lies over an ImGui checkbox: `arg` is its state ("1" ticked,
              // "0" not), written to the DOM when it changes; a toggle there (click, tap, Space)
              // comes back as a "check" event (App::take_check)
};

class Widgets {
 public:
  // Call right after the ImGui item it names. label: the overlay's accessible name (aria-label);
  // empty: `arg` for kPress and the text fields, whose arg is nothing else. A gesture whose arg
  // is data (a sink handle, a text to copy) needs a label: never a secret (the link, the code).
  void name_last(const std::string& id, Gesture gesture = Gesture::kNone, const std::string& arg = "",
                 const std::string& label = "");
  // A section heading for screen readers (h1 when level is 1, else h2), over the ImGui text item
  // just drawn. Headings are numbered in the order drawn; their text reaches the DOM only when
  // it changes.
  void heading_last(const std::string& text, int level);
  // Call once per frame after drawing: publishes rectangles and hides stale overlays.
  // The page's DOM is written only where something changed since the last frame: an overlay's
  // place, visibility or action, the set of overlays on screen, the published rectangles.
  void end_frame();
  // Empties the DOM field over widget `id` (e.g. the message box once its text was sent).
  void clear_text(const std::string& id);

 private:
  struct Named {
    std::string id;
    ImVec2 min, max;
  };
  // What the page's overlay element for one widget shows now (as last written to the DOM).
  struct Overlay {
    std::string kind;
    float x = 0, y = 0, w = 0, h = 0;
    bool visible = false;
    std::string action;  // "" (a picker or text field), "copy", "download" or "save_as"
    std::string arg;
    std::string label;   // the accessible name (a heading's text)
  };
  // Writes what changed of overlay `id` to the DOM; `o` needs no place yet (the last item's).
  void place(const std::string& id, Overlay o);

  std::vector<Named> named_;
  std::vector<std::string> overlays_;       // placed this frame, in order
  int headings_ = 0;                        // headings placed this frame
  std::map<std::string, Overlay> written_;  // on screen in the DOM, by widget id
  std::string last_kept_ = "\n";           // the last overlaysKeep list ("\n": never sent)
  std::string last_published_;
};

}  // namespace ferry::ui
