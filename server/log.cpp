// Line-at-a-time logger (see log.h). One write per line under a mutex so lines never interleave.
#include "log.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

namespace ferry::server {
namespace {

LogFormat g_format = LogFormat::kText;

// One JSON object, keys in the order given (ts, event, then the fields). A value that is not
// UTF-8 (text from a client) has its bad bytes replaced rather than failing the line.
std::string json_line(int64_t ms, std::string_view event,
                      std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  nlohmann::ordered_json j;
  j["ts"] = ms;
  j["event"] = std::string(event);
  for (const auto& [key, value] : fields) j[std::string(key)] = value;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

void set_log_format(LogFormat format) { g_format = format; }

void log_event(std::string_view event, std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  static std::mutex mutex;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  if (g_format == LogFormat::kJson) {
    std::string line = json_line(ms.count(), event, fields);
    std::lock_guard lock(mutex);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
    return;
  }
  std::string line = "ts=" + std::to_string(ms.count()) + " event=" + std::string(event);
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    bool quote = value.empty() || value.find_first_of(" \"=") != std::string::npos;
    if (quote) line += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') line += '\\';
      line += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    }
    if (quote) line += '"';
  }
  line += '\n';
  std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace ferry::server
