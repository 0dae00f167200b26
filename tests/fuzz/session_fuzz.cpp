// libFuzzer harness for the client session against a hostile server and peer: every relay
// payload (HELLO, handshake messages, sealed signalling), every server envelope and every
// DataChannel frame the two sessions can be handed. The input is a list of records:
//   target (u8: bit 0 = A or B) | kind (u8) | length (u16 LE) | bytes
// kinds: 0 a relay payload (the bytes, base64url-encoded) from "the server"; 1 a raw server
// envelope (the bytes as text); 2 a DataChannel message; 3 time passes (bytes[0] seconds);
// 4 the honest relay carries what each side sent (so the fuzzer reaches secured states, then
// injects). Invariants: no crash or sanitizer finding, and no more incoming transfers than the
// limit, whatever arrives.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "app/session.h"
#include "protocol/signal.h"
#include "session/ids.h"
#include "util/bytes.h"

namespace {

using namespace ferry;

RandomFn fixed_rng(uint64_t seed) {
  auto state = std::make_shared<uint64_t>(seed);
  return [state](uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      *state = *state * 6364136223846793005ull + 1442695040888963407ull;
      out[i] = static_cast<uint8_t>(*state >> 56);
    }
  };
}

std::string server_text(const protocol::ServerMessage& m) { return protocol::serialize(m); }

// Delivers each side's relay messages to the other, as an honest server would.
void carry(app::Session& a, app::Session& b) {
  for (int round = 0; round < 8; ++round) {
    bool any = false;
    for (auto* from : {&a, &b}) {
      app::Session* to = from == &a ? &b : &a;
      for (auto& c : from->take_commands()) {
        const auto* send = std::get_if<app::cmd::SendServer>(&c);
        if (!send) continue;
        auto m = protocol::parse_client_message(send->text);
        if (!m) abort();  // the session never sends an envelope its own parser refuses
        if (const auto* r = std::get_if<protocol::Relay>(&*m)) {
          to->on_server_message(server_text(protocol::Relayed{r->payload}));
          any = true;
        }
      }
    }
    if (!any) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string room = session::RoomId::generate(fixed_rng(1)).str();
  const std::string token = session::JoinToken::generate(fixed_rng(2)).str();
  const std::string resume = session::ResumeToken::generate(fixed_rng(3)).str();
  app::Session a(app::SessionOptions{"https://ferry.test", fixed_rng(4)});
  app::Session b(app::SessionOptions{"https://ferry.test", fixed_rng(5)});
  a.create();
  a.on_server_open();
  a.on_server_message(server_text(protocol::Created{room, token, "7", 0, resume, {}, 4194304}));
  if (!b.join_link(a.snapshot().link).ok()) abort();
  b.on_server_open();
  b.on_server_message(server_text(protocol::Joined{room, resume, 0, false, true, {}, 4194304}));
  a.on_server_message(server_text(protocol::PeerJoined{}));
  (void)a.take_commands();
  double now = 0;
  size_t at = 0;
  while (at + 4 <= size) {
    const uint8_t target = data[at];
    const uint8_t kind = data[at + 1];
    const size_t len = std::min<size_t>(data[at + 2] | (data[at + 3] << 8), size - at - 4);
    const ByteView body(data + at + 4, len);
    at += 4 + len;
    app::Session& s = (target & 1) ? b : a;
    switch (kind % 5) {
      case 0:
        s.on_server_message(server_text(protocol::Relayed{to_base64url(body)}));
        break;
      case 1:
        s.on_server_message(as_string(body));
        break;
      case 2:
        s.on_channel_open(256 * 1024);
        s.on_channel_message(body);
        break;
      case 3:
        now += 1000.0 * (len ? body[0] : 1);
        a.tick(now);
        b.tick(now);
        break;
      case 4:
        carry(a, b);
        break;
    }
    for (const auto* x : {&a, &b}) {
      size_t incoming = 0;
      for (const auto& t : x->snapshot().transfers) incoming += !t.outgoing;
      if (incoming > app::kMaxIncomingTransfers) abort();
    }
  }
  return 0;
}
