// Prometheus text exposition of the server's counters (see metrics.h).
#include "metrics.h"

#include <algorithm>

#include <initializer_list>
#include <sstream>
#include <utility>

namespace ferry::server {

void Metrics::refuse(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++refusals_[reason];
}

uint64_t Metrics::refusals(const std::string& reason) const {
  std::lock_guard lock(mutex_);
  auto it = refusals_.find(reason);
  return it == refusals_.end() ? 0 : it->second;
}

namespace {

// One metric family: its HELP and TYPE lines, then one sample per label set ("" for none).
void family(std::ostringstream& o, const char* name, const char* type, const char* help,
            std::initializer_list<std::pair<const char*, uint64_t>> samples) {
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  for (const auto& [labels, value] : samples) o << name << labels << " " << value << "\n";
}

}  // namespace

std::string Metrics::render(size_t rooms, size_t peers, size_t connections, int64_t queued_bytes) const {
  std::ostringstream o;
  family(o, "ferry_rooms", "gauge", "Rooms in memory.", {{"", rooms}});
  family(o, "ferry_peers", "gauge", "Peers connected to a room.", {{"", peers}});
  family(o, "ferry_connections", "gauge", "Open WebSocket connections.", {{"", connections}});
  family(o, "ferry_connections_total", "counter", "WebSocket connections accepted.",
         {{"", connections_total.load()}});
  family(o, "ferry_messages_relayed_total", "counter", "Payloads relayed between peers.",
         {{"", messages_relayed.load()}});
  family(o, "ferry_bytes_relayed_total", "counter", "Payload bytes relayed between peers.",
         {{"", bytes_relayed.load()}});
  family(o, "ferry_relay_frames_total", "counter", "Binary frames relayed between peers (the data relay).",
         {{"", relay_frames.load()}});
  family(o, "ferry_relay_bytes_total", "counter", "Binary frame bytes relayed between peers.",
         {{"", relay_bytes.load()}});
  family(o, "ferry_relay_dropped_total", "counter", "Binary frames dropped because the other peer was away.",
         {{"", relay_dropped.load()}});
  family(o, "ferry_relay_pauses_total", "counter", "Times a relay sender's reading was paused, by cause.",
         {{"{reason=\"rate\"}", relay_pauses_rate.load()},
          {"{reason=\"receiver\"}", relay_pauses_receiver.load()},
          {"{reason=\"text_rate\"}", relay_pauses_text_rate.load()},
          {"{reason=\"text_receiver\"}", relay_pauses_text_receiver.load()},
          {"{reason=\"global\"}", relay_pauses_global.load()}});
  family(o, "ferry_queued_bytes", "gauge", "Bytes queued for sending over all connections.",
         {{"", static_cast<uint64_t>(std::max<int64_t>(queued_bytes, 0))}});
  family(o, "ferry_pake_confirmed_total", "counter", "Joiners the creator reported as confirmed.",
         {{"", pake_confirmed.load()}});
  family(o, "ferry_http_requests_total", "counter", "HTTP requests served.", {{"", http_requests.load()}});
  o << "# HELP ferry_refusals_total Refused messages and connections, by reason.\n"
       "# TYPE ferry_refusals_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [reason, n] : refusals_) o << "ferry_refusals_total{reason=\"" << reason << "\"} " << n << "\n";
  return o.str();
}

}  // namespace ferry::server
