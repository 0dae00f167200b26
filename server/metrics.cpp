// Prometheus text exposition of the server's counters (see metrics.h), written by prometheus-cpp's
// TextSerializer from its data model (prometheus-cpp-dev, core library only: no HTTP server).
#include "metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <initializer_list>
#include <utility>
#include <vector>

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

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric sample(MetricType type, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return m;
}

// A family with one unlabelled sample.
MetricFamily family(const char* name, MetricType type, const char* help, double value) {
  return MetricFamily{name, help, type, {sample(type, value)}};
}

double as_double(uint64_t v) { return static_cast<double>(v); }

}  // namespace

std::string Metrics::render(size_t rooms, size_t peers, size_t connections, int64_t queued_bytes,
                            std::optional<bool> redis_up) const {
  const auto counter = MetricType::Counter;
  const auto gauge = MetricType::Gauge;
  std::vector<MetricFamily> all = {
      family("ferry_rooms", gauge, "Rooms in memory.", as_double(rooms)),
      family("ferry_peers", gauge, "Peers connected to a room.", as_double(peers)),
      family("ferry_connections", gauge, "Open WebSocket connections.", as_double(connections)),
      family("ferry_connections_total", counter, "WebSocket connections accepted.", as_double(connections_total)),
      family("ferry_messages_relayed_total", counter, "Payloads relayed between peers.", as_double(messages_relayed)),
      family("ferry_bytes_relayed_total", counter, "Payload bytes relayed between peers.", as_double(bytes_relayed)),
      family("ferry_relay_frames_total", counter, "Binary frames relayed between peers (the data relay).",
             as_double(relay_frames)),
      family("ferry_relay_bytes_total", counter, "Binary frame bytes relayed between peers.", as_double(relay_bytes)),
      family("ferry_relay_dropped_total", counter, "Binary frames dropped because the other peer was away.",
             as_double(relay_dropped)),
  };
  MetricFamily pauses{"ferry_relay_pauses_total", "Times a relay sender's reading was paused, by cause.", counter, {}};
  for (const auto& [reason, n] : {std::pair{"rate", &relay_pauses_rate}, std::pair{"receiver", &relay_pauses_receiver},
                                  std::pair{"text_rate", &relay_pauses_text_rate},
                                  std::pair{"text_receiver", &relay_pauses_text_receiver},
                                  std::pair{"global", &relay_pauses_global}}) {
    pauses.metric.push_back(sample(counter, as_double(n->load()), {{"reason", reason}}));
  }
  all.push_back(std::move(pauses));
  all.push_back(family("ferry_queued_bytes", gauge, "Bytes queued for sending over all connections.",
                       static_cast<double>(std::max<int64_t>(queued_bytes, 0))));
  all.push_back(family("ferry_pake_confirmed_total", counter, "Joiners the creator reported as confirmed.",
                       as_double(pake_confirmed)));
  all.push_back(family("ferry_http_requests_total", counter, "HTTP requests served.", as_double(http_requests)));
  MetricFamily refused{"ferry_refusals_total", "Refused messages and connections, by reason.", counter, {}};
  {
    std::lock_guard lock(mutex_);
    for (const auto& [reason, n] : refusals_) refused.metric.push_back(sample(counter, as_double(n), {{"reason", reason}}));
  }
  all.push_back(std::move(refused));
  if (redis_up) {  // only with --redis: without it the page is as before
    all.push_back(family("ferry_redis_up", gauge, "Whether the --redis link answers (1) or not (0).", *redis_up ? 1 : 0));
  }
  return prometheus::TextSerializer().Serialize(all);
}

}  // namespace ferry::server
