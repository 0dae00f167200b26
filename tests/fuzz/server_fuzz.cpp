// libFuzzer harness for the server's message handling (server/shared_state.h), without sockets.
// The input is a script: each line is "<peer digit><text>", sent by one of four fake
// connections; a few control lines drop a peer, advance the clock or sweep, send the rest of the
// line as a binary frame ("!bin<bytes>", "!big" for one just above the limit), or join the room
// last created ("!join", so the relay paths are reached without guessing tokens). Properties: no
// crash, every text message the server sends is a valid ferry.v1 server envelope, every binary
// message is a frame a peer sent, and a relay pause is never negative.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/signal.h"
#include "shared_state.h"

namespace {

using namespace ferry::server;

// The frames peers sent, so a relayed frame can be checked against them.
std::vector<std::string>* g_sent_frames = nullptr;

class FuzzPeer : public Peer {
 public:
  void send(Outgoing m) override {
    if (m.binary) {
      bool known = false;
      for (const auto& f : *g_sent_frames) known = known || f == *m.data;
      if (!known) std::abort();
      queued += m.data->size() + kQueuedMessageOverhead;  // never written: exercises the pause
      return;
    }
    auto parsed = ferry::protocol::parse_server_message(*m.data);
    if (!parsed) std::abort();
    if (const auto* c = std::get_if<ferry::protocol::Created>(&*parsed)) *last_created = *c;
  }
  void close(CloseCode) override { closed = true; }
  size_t queued_bytes() const override { return queued; }
  size_t queued_text_bytes() const override { return queued; }
  void when_drained(Drain, std::function<void()> done) override { done(); }
  bool closed = false;
  size_t queued = 0;
  ferry::protocol::Created* last_created = nullptr;
};

ferry::RandomFn fixed_random() {
  auto state = std::make_shared<uint64_t>(1);
  return [state](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) {
      *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
      out[i] = static_cast<uint8_t>(*state >> 56);
    }
  };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = [] {
    // Logs go to stdout; the fuzzer's output stays readable without them.
    return std::freopen("/dev/null", "w", stdout) != nullptr;
  }();
  (void)quiet;
  int64_t now = 0;
  Config config;
  config.max_bad_messages = 1000;
  config.rooms.grace_ms = 1000;
  config.rooms.unjoined_ttl_ms = 5000;
  config.rooms.confirm_timeout_ms = 2000;  // reached within a few !tick lines
  config.rooms.max_room_failures = 4;
  config.relay_rate = 1'000'000;
  config.relay_total_rate = 3'000'000;
  std::vector<std::string> sent_frames;
  g_sent_frames = &sent_frames;
  ferry::protocol::Created last_created;
  SharedState state(config, Clocks{[&now] { return now; }, [&now] { return 1'700'000'000'000 + now; }}, fixed_random());
  constexpr int kPeers = 4;
  std::shared_ptr<FuzzPeer> peers[kPeers];
  PeerId ids[kPeers] = {};
  auto connect = [&](int i) {
    peers[i] = std::make_shared<FuzzPeer>();
    peers[i]->last_created = &last_created;
    CloseCode refusal{};
    auto id = state.attach(peers[i], "10.0.0." + std::to_string(i), &refusal);
    ids[i] = id ? *id : 0;
  };
  for (int i = 0; i < kPeers; ++i) connect(i);

  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    if (line.empty()) continue;
    int who = (static_cast<unsigned char>(line[0]) - '0') % kPeers;
    if (who < 0) who += kPeers;
    std::string_view text = line.substr(1);
    if (text == "!drop") {
      if (ids[who]) state.detach(ids[who]);
      connect(who);
    } else if (text == "!tick") {
      now += 700;
      state.sweep();
    } else if (text.starts_with("!bin") || text == "!big") {
      std::string frame = text == "!big" ? std::string(ferry::protocol::kMaxRelayFrameBytes + 1, 'b')
                                         : std::string(text.substr(4));
      sent_frames.push_back(frame);
      if (ids[who] && state.on_binary(ids[who], frame).wait_ms < 0) std::abort();
    } else if (text == "!join") {
      if (ids[who] && !last_created.room.empty()) {
        state.on_text(ids[who], ferry::protocol::serialize(ferry::protocol::ClientMessage{
                                    ferry::protocol::JoinByToken{last_created.room, last_created.token}}));
      }
    } else if (ids[who]) {
      if (state.on_text(ids[who], text).wait_ms < 0) std::abort();
    }
  }
  for (int i = 0; i < kPeers; ++i) {
    if (ids[i]) state.detach(ids[i]);
  }
  return 0;
}
