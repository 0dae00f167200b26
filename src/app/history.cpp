// History entries; see history.h.
#include "app/history.h"

#include "util/json.h"

namespace ferry::app {

namespace {

const char* result_of(TransferState s) {
  switch (s) {
    case TransferState::kComplete: return "complete";
    case TransferState::kFailed: return "failed";
    case TransferState::kCancelled: return "cancelled";
    case TransferState::kDeclined: return "declined";
    default: return nullptr;
  }
}

bool known_result(const std::string& r) {
  return r == "complete" || r == "failed" || r == "cancelled" || r == "declined";
}

// Cuts to at most `max` bytes without splitting a UTF-8 sequence.
std::string cut(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

}  // namespace

std::optional<HistoryEntry> history_entry(const TransferView& t, std::string_view words) {
  const char* result = result_of(t.state);
  if (result == nullptr) return std::nullopt;
  HistoryEntry e;
  e.sent = t.outgoing;
  e.words = std::string(words);
  e.result = result;
  e.offered = t.progress->files.size();
  for (const auto& f : t.progress->files) {
    if (f.state == transfer::FileState::kSkipped && t.state != TransferState::kDeclined) continue;
    if (e.files.size() == kMaxHistoryFiles) break;
    e.files.push_back({cut(f.name, kMaxHistoryNameBytes), f.size});
    e.bytes += f.size;
  }
  return e;
}

std::string to_json(const HistoryEntry& e) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : e.files) files.push_back({{"name", f.name}, {"size", f.size}});
  const nlohmann::json j{{"sent", e.sent}, {"words", e.words}, {"result", e.result},
                         {"offered", e.offered}, {"files", std::move(files)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<HistoryEntry> parse_history(std::string_view text) {
  std::vector<HistoryEntry> out;
  const nlohmann::json j = parse_json_limited(text);
  if (!j.is_array()) return out;
  for (const auto& item : j) {
    if (out.size() == kMaxHistoryEntries) break;
    if (!item.is_object()) continue;
    const auto sent = item.find("sent");
    const auto words = item.find("words");
    const auto result = item.find("result");
    const auto offered = item.find("offered");
    const auto files = item.find("files");
    const auto when = item.find("when");
    if (sent == item.end() || !sent->is_boolean() || words == item.end() || !words->is_string() ||
        result == item.end() || !result->is_string() || offered == item.end() ||
        !offered->is_number_unsigned() || files == item.end() || !files->is_array()) {
      continue;
    }
    HistoryEntry e;
    e.sent = sent->get<bool>();
    e.words = cut(words->get<std::string>(), 128);
    e.result = result->get<std::string>();
    if (!known_result(e.result)) continue;
    e.offered = static_cast<size_t>(std::min<uint64_t>(offered->get<uint64_t>(), 1u << 20));
    if (when != item.end() && when->is_string()) e.when = cut(when->get<std::string>(), 64);
    bool ok = true;
    for (const auto& f : *files) {
      const auto name = f.is_object() ? f.find("name") : f.end();
      const auto size = f.is_object() ? f.find("size") : f.end();
      if (!f.is_object() || name == f.end() || !name->is_string() || size == f.end() || !size->is_number_unsigned()) {
        ok = false;
        break;
      }
      if (e.files.size() == kMaxHistoryFiles) break;
      e.files.push_back({cut(name->get<std::string>(), kMaxHistoryNameBytes), size->get<uint64_t>()});
      e.bytes += e.files.back().size;
    }
    if (ok) out.push_back(std::move(e));
  }
  return out;
}

std::vector<HistoryEntry> HistoryRecorder::take_new(const std::vector<TransferView>& transfers,
                                                    std::string_view words) {
  std::vector<HistoryEntry> out;
  for (const auto& t : transfers) {
    auto e = history_entry(t, words);
    if (!e || !recorded_.insert({t.outgoing, t.id}).second) continue;
    out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace ferry::app
