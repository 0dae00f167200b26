// libFuzzer harness for the sealed peer-to-peer signalling parser (protocol/peer_signal.h) and
// the browser description/candidate parsers: every input is rejected with a named error, or
// parses to a message that serializes and parses back to the same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/peer_signal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = ferry::protocol::parse_peer_signal(text);
  if (!m) {
    if (m.error().code.empty()) abort();
  } else {
    auto back = ferry::protocol::parse_peer_signal(ferry::protocol::serialize(*m));
    if (!back || !(*back == *m)) abort();
  }
  if (auto d = ferry::protocol::parse_session_description(text); d) {
    auto back = ferry::protocol::parse_session_description(ferry::protocol::serialize(*d));
    if (!back || back->sdp != d->sdp || back->type != d->type) abort();
  }
  if (auto c = ferry::protocol::parse_ice_candidate(text); c) {
    auto back = ferry::protocol::parse_ice_candidate(ferry::protocol::serialize(*c));
    if (!back || !(*back == *c)) abort();
  }
  return 0;
}
