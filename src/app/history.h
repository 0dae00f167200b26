// The local history of transfers (issue 12, item 6): what each device keeps for its person in
// its own IndexedDB (web/platform/js/history.js), shown on the home screen and never sent
// anywhere. Plain logic: which transfers ended and what an entry says; the browser stores them.
//
// An entry is JSON: {"sent": bool, "words": "<verification words>", "result": "complete" |
// "failed" | "cancelled" | "declined", "offered": n, "files": [{"name", "size"}...]} plus
// "at" (ms since 1970) and "when" (the local date and time, text) that the storage adds.
// Stored entries are read back strictly: wrong types or too many are dropped, never trusted
// (another tab, an older version or a curious extension may have written the database).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/commands.h"

namespace ferry::app {

// Entries kept (the storage drops the oldest beyond it) and read back at most.
constexpr size_t kMaxHistoryEntries = 200;
// Files named per entry, and the longest name kept: a history is for reading, not an archive.
constexpr size_t kMaxHistoryFiles = 50;
constexpr size_t kMaxHistoryNameBytes = 255;

struct HistoryFile {
  std::string name;
  uint64_t size = 0;
  bool operator==(const HistoryFile&) const = default;
};

struct HistoryEntry {
  bool sent = false;
  std::string words;   // the verification words of the session
  std::string result;  // "complete", "failed", "cancelled", "declined"
  size_t offered = 0;  // files offered; `files` are those that moved (all of them unless partly accepted)
  std::vector<HistoryFile> files;
  uint64_t bytes = 0;  // of `files`
  std::string when;    // local date and time (read back only)
  bool operator==(const HistoryEntry&) const = default;
};

// The entry for a transfer that ended; nullopt while it may still move.
std::optional<HistoryEntry> history_entry(const TransferView& t, std::string_view words);
std::string to_json(const HistoryEntry& entry);
// Newest first, as the storage lists them; malformed entries are skipped.
std::vector<HistoryEntry> parse_history(std::string_view json);

// Which transfers of a session were recorded: each is recorded once, when it ends.
class HistoryRecorder {
 public:
  // The entries to store for transfers that ended since the last call.
  std::vector<HistoryEntry> take_new(const std::vector<TransferView>& transfers, std::string_view words);
  void reset() { recorded_.clear(); }  // a new session (ids start afresh)

 private:
  std::set<std::pair<bool, uint32_t>> recorded_;
};

}  // namespace ferry::app
