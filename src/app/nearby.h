// The home screen's nearby devices: this page's presence in its address group (protocol/nearby.h,
// server/presence.h) on a connection of its own, the tiles it shows, and the invitations it gets.
// Plain logic: the platform opens the connection when wants_open() says so, hands in its events
// and sends what take_outgoing() returns.
//
//   kOff --start()--> kOpening --on_open--> kListed (announced; listings and invitations arrive)
//                        ^                       | on_closed
//                        +--- back-off ----------+ (1, 2, 4 ... 30 s; kStopped after stop())
//
// What a listing or an invitation is worth: the server made it, and a server (or anyone on the
// same network, through it) can name any device anything. So a tile is only a suggestion of
// whom to send to. What proves the other end is the verification words, which both screens
// show large for a nearby transfer (session.h, Snapshot::nearby_peer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/nearby.h"
#include "util/bytes.h"

namespace ferry::app {

// A generated device name, "Amber Heron": an adjective and an animal from short lists
// (64 × 64 names), so two devices on one network rarely look alike. Made locally: the server
// never chooses a name.
std::string generate_device_name(const RandomFn& rng);
// The device type a user agent suggests (tablet, phone, or desktop).
protocol::DeviceType device_type_from_user_agent(std::string_view user_agent);
// A stored name, if it is still one the protocol admits (else a fresh one is generated).
bool usable_device_name(std::string_view name);

// The first reconnection waits this long, doubling up to kNearbyMaxBackoffMs: presence is a
// convenience, and a server that is away should not be hammered by every open page.
constexpr double kNearbyFirstBackoffMs = 1000;
constexpr double kNearbyMaxBackoffMs = 30000;

class Nearby {
 public:
  enum class State { kOff, kOpening, kListed, kWaiting, kStopped };

  Nearby(std::string name, protocol::DeviceType device, bool visible)
      : name_(std::move(name)), device_(device), visible_(visible) {}

  // Also after stop(): the page came back to the home screen.
  void start(double now_ms);
  // The page left the home screen (a session started): no more reconnections, no tiles. The
  // platform closes the connection.
  void stop();
  // The platform should open the connection now (once per true answer).
  bool wants_open(double now_ms);
  void on_open();
  void on_message(std::string_view text);
  void on_closed(double now_ms);
  // Hide this device from the others (it still sees them), or show it again.
  void set_visible(bool visible);

  std::vector<std::string> take_outgoing() { return std::exchange(outgoing_, {}); }
  // The latest invitation, taken once.
  std::optional<protocol::NearbyInvited> take_invitation() { return std::exchange(invitation_, std::nullopt); }

  State state() const { return state_; }
  const std::vector<protocol::NearbyDevice>& devices() const { return devices_; }
  const std::string& name() const { return name_; }
  protocol::DeviceType device() const { return device_; }
  bool visible() const { return visible_; }
  // Why the server refused the announce ("" for none), e.g. nearby_full.
  const std::string& problem() const { return problem_; }
  // Looks a tile up by presence id (nullptr when it is gone).
  const protocol::NearbyDevice* find(std::string_view id) const;

 private:
  void announce();

  std::string name_;
  protocol::DeviceType device_;
  bool visible_;
  State state_ = State::kOff;
  double reopen_at_ms_ = 0;
  double backoff_ms_ = kNearbyFirstBackoffMs;
  std::vector<protocol::NearbyDevice> devices_;
  std::optional<protocol::NearbyInvited> invitation_;
  std::vector<std::string> outgoing_;
  std::string problem_;
};

}  // namespace ferry::app
