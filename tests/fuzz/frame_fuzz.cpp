// libFuzzer harness for the DataChannel frame parser (network input from the peer or a relay).
// Every input must either be rejected or parse to a frame that re-encodes to exactly the same
// bytes: the format has one encoding per frame, so any difference is a parser bug.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "protocol/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ferry::ByteView input(data, size);
  auto parsed = ferry::protocol::parse(input);
  if (!parsed.ok()) {
    if (parsed.error().code.empty()) abort();  // every rejection must name its cause
    return 0;
  }
  const ferry::Bytes again = ferry::protocol::encode(*parsed);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) abort();
  auto reparsed = ferry::protocol::parse(again);
  if (!reparsed.ok() || !(*reparsed == *parsed)) abort();
  return 0;
}
