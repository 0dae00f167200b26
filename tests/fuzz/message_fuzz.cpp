// libFuzzer harness for text messages (app/messages.h), what the peer (or, for frames that do
// not open, anyone on the relay) writes. The input goes in twice: as a MESSAGE frame off the
// wire, and as the plaintext of a frame sealed under the right key (so the kind and UTF-8
// checks behind the MAC are reached). Properties: nothing crashes; what is shown is valid
// UTF-8 of at most kMaxMessageTextBytes, and exactly the input's text when the input is a
// well-formed text message; everything else is rejected and counted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/messages.h"
#include "util/utf8.h"

namespace {
ferry::crypto::SecretKey fixed_key(uint8_t seed) {
  uint8_t k[ferry::crypto::kKeyBytes];
  for (size_t i = 0; i < sizeof k; ++i) k[i] = static_cast<uint8_t>(seed + i);
  return ferry::crypto::SecretKey(k);
}
void zero_rng(uint8_t* out, size_t len) {
  for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>(i);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  static const crypto::SecretKey send = fixed_key(1), recv = fixed_key(2);
  std::vector<std::string> shown;
  app::Messages m(
      zero_rng, [](app::Command) {},
      [&](app::LogKind kind, std::string text) {
        if (kind == app::LogKind::kMessageReceived) shown.push_back(std::move(text));
      });
  m.set_keys(send, recv);
  m.open(false, 0);

  // 1. As a frame off the wire: it cannot be sealed under our key, so nothing is shown.
  m.on_frame(ByteView(data, size));
  if (!shown.empty() || m.rejected() != 1) std::abort();

  // 2. As the plaintext of an authentic frame.
  if (size > protocol::kMaxMessagePayloadBytes - protocol::kSealOverheadBytes) return 0;
  protocol::MessageFrame f;
  f.seq = 1;
  crypto::seal_chunk(f.payload,
                     crypto::derive_file_key(recv, app::kMessageTransferId, app::kMessageFileId),
                     crypto::ChunkId{app::kMessageTransferId, app::kMessageFileId, 1, false},
                     ByteView(data, size), zero_rng);
  m.on_frame(protocol::encode(f));
  const std::string_view text =
      size > 0 ? std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1) : "";
  const bool well_formed =
      size > 1 && data[0] == static_cast<uint8_t>(app::MessageKind::kText) && is_valid_utf8(text);
  if (well_formed != (shown.size() == 1)) std::abort();
  if (well_formed && shown[0] != text) std::abort();
  for (const auto& s : shown) {
    if (!is_valid_utf8(s) || s.size() > protocol::kMaxMessageTextBytes) std::abort();
  }
  // The same frame again is a replay: never shown twice.
  m.on_frame(protocol::encode(f));
  if (shown.size() > 1) std::abort();
  return 0;
}
