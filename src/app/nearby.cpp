// Nearby presence on the home screen (see nearby.h).
#include "app/nearby.h"

#include <algorithm>
#include <array>

#include "protocol/signal.h"

namespace ferry::app {

namespace {

// Colours and qualities a person reads at a glance; each at most 12 letters, so a name fits
// protocol::kMaxDeviceNameChars.
constexpr std::array<std::string_view, 64> kAdjectives = {
    "Amber",  "Azure",  "Brave",  "Bright", "Calm",   "Clever", "Coral",  "Crimson", "Curious", "Dapper", "Eager",
    "Emerald", "Fancy", "Fleet",  "Gentle", "Golden", "Happy",  "Hazel",  "Humble",  "Indigo",  "Ivory",  "Jade",
    "Jolly",  "Keen",   "Kind",   "Lively", "Lucky",  "Lunar",  "Maple",  "Merry",   "Mighty",  "Misty",  "Noble",
    "Olive",  "Onyx",   "Pearl",  "Plucky", "Polar",  "Proud",  "Quick",  "Quiet",   "Rapid",   "Rosy",   "Royal",
    "Ruby",   "Rusty",  "Sandy",  "Silver", "Sleek",  "Smart",  "Snowy",  "Solar",   "Sunny",   "Swift",  "Teal",
    "Tidy",   "Topaz",  "Velvet", "Violet", "Vivid",  "Warm",   "Wild",   "Witty",   "Zesty"};
constexpr std::array<std::string_view, 64> kAnimals = {
    "Albatross", "Alpaca",  "Badger",  "Beaver",  "Bison",    "Bobcat",  "Camel",   "Caribou", "Cheetah",
    "Condor",    "Crane",   "Dolphin", "Dove",    "Eagle",    "Egret",   "Falcon",  "Ferret",  "Finch",
    "Fox",       "Gazelle", "Gecko",   "Giraffe", "Heron",    "Hedgehog", "Ibis",   "Impala",  "Jackal",
    "Jaguar",    "Kestrel", "Koala",   "Lemur",   "Leopard",  "Lynx",    "Magpie",  "Marten",  "Meerkat",
    "Moose",     "Narwhal", "Newt",    "Ocelot",  "Otter",    "Owl",     "Panda",   "Panther", "Pelican",
    "Penguin",   "Puffin",  "Quail",   "Rabbit",  "Raven",    "Robin",   "Salmon",  "Seal",    "Sparrow",
    "Swan",      "Tapir",   "Tiger",   "Toucan",  "Turtle",   "Walrus",  "Weasel",  "Whale",   "Wombat",
    "Zebra"};

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

}  // namespace

std::string generate_device_name(const RandomFn& rng) {
  std::array<uint8_t, 2> pick{};
  rng(pick.data(), pick.size());
  // 64 divides 256: taking the low six bits is uniform.
  return std::string(kAdjectives[pick[0] % kAdjectives.size()]) + " " + std::string(kAnimals[pick[1] % kAnimals.size()]);
}

protocol::DeviceType device_type_from_user_agent(std::string_view ua) {
  // iPadOS 13+ reports a Mac user agent; the platform can't tell it from a Mac without touch
  // points, which the page may add later. Android tablets leave "Mobile" out.
  if (contains(ua, "iPad") || contains(ua, "Tablet") || (contains(ua, "Android") && !contains(ua, "Mobile"))) {
    return protocol::DeviceType::kTablet;
  }
  if (contains(ua, "iPhone") || contains(ua, "iPod") || contains(ua, "Android") || contains(ua, "Mobile")) {
    return protocol::DeviceType::kPhone;
  }
  return protocol::DeviceType::kDesktop;
}

bool usable_device_name(std::string_view name) { return protocol::is_valid_device_name(name); }

void Nearby::start(double now_ms) {
  if (state_ != State::kOff && state_ != State::kStopped) return;
  state_ = State::kWaiting;
  reopen_at_ms_ = now_ms;
}

void Nearby::stop() {
  state_ = State::kStopped;
  devices_.clear();
  invitation_.reset();
}

bool Nearby::wants_open(double now_ms) {
  if (state_ != State::kWaiting || now_ms < reopen_at_ms_) return false;
  state_ = State::kOpening;
  return true;
}

void Nearby::on_open() {
  if (state_ != State::kOpening) return;
  state_ = State::kListed;
  backoff_ms_ = kNearbyFirstBackoffMs;
  announce();
}

void Nearby::announce() {
  outgoing_.push_back(
      protocol::serialize(protocol::NearbyClientMessage{protocol::NearbyAnnounce{name_, device_, visible_}}));
}

void Nearby::set_visible(bool visible) {
  if (visible == visible_) return;
  visible_ = visible;
  if (state_ == State::kListed) announce();
}

void Nearby::on_message(std::string_view text) {
  if (state_ != State::kListed) return;
  if (auto m = protocol::parse_nearby_server_message(text)) {
    if (auto* list = std::get_if<protocol::NearbyList>(&*m)) {
      devices_ = std::move(list->devices);
      problem_.clear();
    } else {
      invitation_ = std::get<protocol::NearbyInvited>(std::move(*m));
    }
    return;
  }
  // A refused announce (nearby_full, nearby_rate) says why no tiles show; other text is ignored.
  if (auto m = protocol::parse_server_message(text)) {
    if (const auto* e = std::get_if<protocol::ErrorMessage>(&*m)) problem_ = e->code;
  }
}

void Nearby::on_closed(double now_ms) {
  devices_.clear();
  if (state_ == State::kStopped || state_ == State::kOff) return;
  state_ = State::kWaiting;
  reopen_at_ms_ = now_ms + backoff_ms_;
  backoff_ms_ = std::min(backoff_ms_ * 2, kNearbyMaxBackoffMs);
}

const protocol::NearbyDevice* Nearby::find(std::string_view id) const {
  auto it = std::find_if(devices_.begin(), devices_.end(), [&](const auto& d) { return d.id == id; });
  return it == devices_.end() ? nullptr : &*it;
}

}  // namespace ferry::app
