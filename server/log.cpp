// Line-at-a-time logger (see log.h). One write per line under a mutex so lines never interleave.
#include "log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

namespace ferry::server {

void log_event(std::string_view event, std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  static std::mutex mutex;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
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
