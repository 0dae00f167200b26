// Prometheus text exposition of the server's counters (see metrics.h).
#include "metrics.h"

#include <sstream>

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

std::string Metrics::render(size_t rooms, size_t peers, size_t connections) const {
  std::ostringstream o;
  o << "# HELP ferry_rooms Rooms in memory.\n# TYPE ferry_rooms gauge\nferry_rooms " << rooms << "\n";
  o << "# HELP ferry_peers Peers connected to a room.\n# TYPE ferry_peers gauge\nferry_peers " << peers << "\n";
  o << "# HELP ferry_connections Open WebSocket connections.\n# TYPE ferry_connections gauge\n"
       "ferry_connections "
    << connections << "\n";
  o << "# HELP ferry_connections_total WebSocket connections accepted.\n# TYPE ferry_connections_total counter\n"
       "ferry_connections_total "
    << connections_total.load() << "\n";
  o << "# HELP ferry_messages_relayed_total Payloads relayed between peers.\n"
       "# TYPE ferry_messages_relayed_total counter\nferry_messages_relayed_total "
    << messages_relayed.load() << "\n";
  o << "# HELP ferry_bytes_relayed_total Payload bytes relayed between peers.\n"
       "# TYPE ferry_bytes_relayed_total counter\nferry_bytes_relayed_total "
    << bytes_relayed.load() << "\n";
  o << "# HELP ferry_relay_frames_total Binary frames relayed between peers (the data relay).\n"
       "# TYPE ferry_relay_frames_total counter\nferry_relay_frames_total "
    << relay_frames.load() << "\n";
  o << "# HELP ferry_relay_bytes_total Binary frame bytes relayed between peers.\n"
       "# TYPE ferry_relay_bytes_total counter\nferry_relay_bytes_total "
    << relay_bytes.load() << "\n";
  o << "# HELP ferry_relay_dropped_total Binary frames dropped because the other peer was away.\n"
       "# TYPE ferry_relay_dropped_total counter\nferry_relay_dropped_total "
    << relay_dropped.load() << "\n";
  o << "# HELP ferry_relay_pauses_total Times a relay sender's reading was paused, by cause.\n"
       "# TYPE ferry_relay_pauses_total counter\n"
       "ferry_relay_pauses_total{reason=\"rate\"} "
    << relay_pauses_rate.load() << "\nferry_relay_pauses_total{reason=\"receiver\"} " << relay_pauses_receiver.load()
    << "\n";
  o << "# HELP ferry_http_requests_total HTTP requests served.\n# TYPE ferry_http_requests_total counter\n"
       "ferry_http_requests_total "
    << http_requests.load() << "\n";
  o << "# HELP ferry_refusals_total Refused messages and connections, by reason.\n"
       "# TYPE ferry_refusals_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [reason, n] : refusals_) o << "ferry_refusals_total{reason=\"" << reason << "\"} " << n << "\n";
  return o.str();
}

}  // namespace ferry::server
