// libFuzzer harness for the control-message codec (transfer/control.h): the plaintext of every
// sealed CONTROL frame, which the peer writes (WINDOW, HAVE, ERROR...). Properties: parsing never
// crashes and every rejection names its cause; a parsed message re-encodes and parses back to
// itself; and, for every kind but MANIFEST (whose names are sanitised on the way in), the
// re-encoding is the input byte for byte, so the parser accepts exactly one spelling.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "transfer/control.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = ferry::transfer;
  auto msg = t::parse_control(ferry::ByteView(data, size));
  if (!msg) {
    if (msg.error().code.empty()) std::abort();
    return 0;
  }
  const ferry::Bytes encoded = t::encode_control(*msg);
  auto again = t::parse_control(encoded);
  if (!again || !(*again == *msg)) std::abort();
  if (!std::holds_alternative<t::Manifest>(msg->body) &&
      (encoded.size() != size || !std::equal(encoded.begin(), encoded.end(), data))) {
    std::abort();
  }
  return 0;
}
