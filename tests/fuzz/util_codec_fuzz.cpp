// Fuzzes the text codecs used on network input (hex, base64url): no crash, and round trips.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "util/bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  if (auto b = ferry::from_base64url(s)) {
    if (ferry::to_base64url(*b) != s) abort();
  }
  if (auto h = ferry::from_hex(s)) {
    if (ferry::from_hex(ferry::to_hex(*h)) != h) abort();
  }
  return 0;
}
