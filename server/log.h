// Structured logs: one line per event on stdout, `ts=<unix ms> event=<name> key=value ...`, or
// with --log-format json one JSON object per line, `{"ts":<unix ms>,"event":"<name>","key":"value",...}`.
// Callers pass only what may be logged: never join tokens, resume tokens or payloads. Room ids
// are shortened to a prefix, enough to follow one room through the log.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace ferry::server {

enum class LogFormat { kText, kJson };
// Set once at start, before any thread logs.
void set_log_format(LogFormat format);

void log_event(std::string_view event, std::initializer_list<std::pair<std::string_view, std::string>> fields = {});

// The first characters of a room id, for logs.
inline std::string room_tag(std::string_view room) { return std::string(room.substr(0, 6)); }

}  // namespace ferry::server
