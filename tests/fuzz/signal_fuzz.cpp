// libFuzzer harness for the ferry.v1 signalling envelope parsers (protocol/signal.h and the
// nearby envelopes of protocol/nearby.h).
// Properties: parsing never crashes or throws; whatever parses re-serializes to an envelope
// that parses back to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/nearby.h"
#include "protocol/signal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace proto = ferry::protocol;
  if (auto m = proto::parse_client_message(text)) {
    auto again = proto::parse_client_message(proto::serialize(*m));
    if (!again || !(*again == *m)) std::abort();
  }
  if (auto m = proto::parse_server_message(text)) {
    auto again = proto::parse_server_message(proto::serialize(*m));
    if (!again || !(*again == *m)) std::abort();
  }
  if (auto m = proto::parse_nearby_client_message(text)) {
    auto again = proto::parse_nearby_client_message(proto::serialize(*m));
    if (!again || !(*again == *m)) std::abort();
  }
  if (auto m = proto::parse_nearby_server_message(text)) {
    auto again = proto::parse_nearby_server_message(proto::serialize(*m));
    if (!again || !(*again == *m)) std::abort();
  }
  return 0;
}
