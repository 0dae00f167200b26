// Strict JSON codec for the nearby envelopes (see nearby.h).
#include "protocol/nearby.h"

#include <nlohmann/json.hpp>

#include "protocol/signal.h"
#include "util/json.h"

namespace ferry::protocol {
namespace {

using nlohmann::json;

// The whole envelope: the largest listing (64 entries of about 90 bytes) fits four times.
constexpr size_t kMaxNearbyEnvelopeBytes = 24 * 1024;

struct Device {
  std::string_view name;
  DeviceType type;
};
constexpr Device kDeviceTypes[] = {{"desktop", DeviceType::kDesktop},
                                   {"phone", DeviceType::kPhone},
                                   {"tablet", DeviceType::kTablet},
                                   {"other", DeviceType::kOther}};

Error bad(std::string code, std::string message) { return make_error(std::move(code), std::move(message)); }

// One JSON object's fields, each read once; any key not read is unknown. Errors keep the first.
class Reader {
 public:
  Reader(const json& obj, std::initializer_list<std::string_view> envelope_keys) : obj_(obj) {
    for (auto k : envelope_keys) read_.emplace_back(k);
  }

  const json* take(std::string_view name) {
    read_.emplace_back(name);
    auto it = obj_.find(std::string(name));
    if (it == obj_.end()) {
      fail("missing_field", "field \"" + std::string(name) + "\" is missing");
      return nullptr;
    }
    return &*it;
  }
  std::string text(std::string_view name, bool (*valid)(std::string_view)) {
    const json* v = take(name);
    if (!v) return {};
    if (!v->is_string() || !valid(v->get_ref<const std::string&>())) {
      fail("bad_field", "field \"" + std::string(name) + "\" must be a string of the right length and alphabet");
      return {};
    }
    return v->get<std::string>();
  }
  DeviceType device(std::string_view name) {
    const json* v = take(name);
    if (v && v->is_string()) {
      for (const auto& d : kDeviceTypes) {
        if (v->get_ref<const std::string&>() == d.name) return d.type;
      }
    }
    if (v) fail("bad_field", "field \"" + std::string(name) + "\" must be desktop, phone, tablet or other");
    return DeviceType::kOther;
  }
  bool flag(std::string_view name) {
    const json* v = take(name);
    if (v && !v->is_boolean()) fail("bad_field", "field \"" + std::string(name) + "\" must be a boolean");
    return v && v->is_boolean() && v->get<bool>();
  }
  // The first error, or an unknown key.
  std::optional<Error> finish() {
    if (error_) return error_;
    for (const auto& item : obj_.items()) {
      bool known = false;
      for (const auto& k : read_) known = known || item.key() == k;
      if (!known) return bad("unknown_field", "a field is not allowed here");
    }
    return std::nullopt;
  }
  bool ok() const { return !error_; }

 private:
  void fail(std::string code, std::string message) {
    if (!error_) error_ = bad(std::move(code), std::move(message));
  }
  const json& obj_;
  std::vector<std::string> read_;
  std::optional<Error> error_;
};

// The envelope object and its type, or why not.
Result<std::string> open(std::string_view text, json& doc) {
  if (text.size() > kMaxNearbyEnvelopeBytes) return bad("too_large", "the message is larger than the protocol allows");
  if (!json_depth_ok(text, kMaxJsonDepth)) return bad("too_deep", "the message nests deeper than the protocol allows");
  doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("bad_json", "the message must be a JSON object");
  auto v = doc.find("v");
  if (v == doc.end() || !v->is_number_integer() || v->get<int64_t>() != kSignalVersion) {
    return bad("bad_version", "this server speaks protocol version 1 only");
  }
  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()) return bad("missing_field", "field \"type\" is missing");
  return type->get<std::string>();
}

template <class T, class M>
Result<M> done(Reader& r, T value) {
  if (auto e = r.finish()) return *e;
  return M{std::move(value)};
}

NearbyDevice read_device(Reader& r, std::string_view id_field) {
  NearbyDevice d;
  d.id = r.text(id_field, is_valid_presence_id);
  d.name = r.text("name", is_valid_device_name);
  d.device = r.device("device");
  return d;
}

json device_json(const NearbyDevice& d) {
  return json{{"id", d.id}, {"name", d.name}, {"device", std::string(to_string(d.device))}};
}

json envelope(std::string_view type) { return json{{"v", kSignalVersion}, {"type", std::string(type)}}; }

}  // namespace

std::string_view to_string(DeviceType type) {
  for (const auto& d : kDeviceTypes) {
    if (d.type == type) return d.name;
  }
  return "other";
}

bool is_valid_device_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxDeviceNameChars || s.front() == ' ' || s.back() == ' ') return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == ' ' || c == '-')) return false;
  }
  return true;
}

bool is_valid_presence_id(std::string_view s) { return s.size() == kPresenceIdChars && is_base64url(s); }

Result<NearbyClientMessage> parse_nearby_client_message(std::string_view text) {
  using M = NearbyClientMessage;
  json doc;
  auto type = open(text, doc);
  if (!type) return type.error();
  Reader r(doc, {"v", "type"});
  if (*type == "nearby") {
    NearbyAnnounce a;
    a.name = r.text("name", is_valid_device_name);
    a.device = r.device("device");
    a.visible = r.flag("visible");
    return done<NearbyAnnounce, M>(r, std::move(a));
  }
  if (*type == "nearby_leave") return done<NearbyLeave, M>(r, NearbyLeave{});
  if (*type == "nearby_invite") {
    NearbyInvite i;
    i.to = r.text("to", is_valid_presence_id);
    i.room = r.text("room", is_valid_room);
    i.token = r.text("token", is_valid_token);
    return done<NearbyInvite, M>(r, std::move(i));
  }
  return bad("unknown_type", "unknown message type");
}

Result<NearbyServerMessage> parse_nearby_server_message(std::string_view text) {
  using M = NearbyServerMessage;
  json doc;
  auto type = open(text, doc);
  if (!type) return type.error();
  Reader r(doc, {"v", "type"});
  if (*type == "nearby_list") {
    NearbyList list;
    const json* devices = r.take("devices");
    if (devices && (!devices->is_array() || devices->size() > kMaxListedDevices)) {
      return bad("bad_field", "field \"devices\" must be an array of at most 64 devices");
    }
    for (size_t i = 0; devices && i < devices->size() && r.ok(); ++i) {
      const json& entry = (*devices)[i];
      if (!entry.is_object()) return bad("bad_field", "a device must be an object");
      Reader e(entry, {});
      NearbyDevice d = read_device(e, "id");
      if (auto err = e.finish()) return *err;
      list.devices.push_back(std::move(d));
    }
    return done<NearbyList, M>(r, std::move(list));
  }
  if (*type == "nearby_invited") {
    NearbyInvited inv;
    inv.from = read_device(r, "from");
    inv.room = r.text("room", is_valid_room);
    inv.token = r.text("token", is_valid_token);
    return done<NearbyInvited, M>(r, std::move(inv));
  }
  return bad("unknown_type", "unknown message type");
}

std::string_view type_name(const NearbyClientMessage& m) {
  if (std::holds_alternative<NearbyAnnounce>(m)) return "nearby";
  if (std::holds_alternative<NearbyLeave>(m)) return "nearby_leave";
  return "nearby_invite";
}

std::string serialize(const NearbyClientMessage& m) {
  json j = envelope(type_name(m));
  if (const auto* a = std::get_if<NearbyAnnounce>(&m)) {
    j["name"] = a->name;
    j["device"] = std::string(to_string(a->device));
    j["visible"] = a->visible;
  } else if (const auto* i = std::get_if<NearbyInvite>(&m)) {
    j["to"] = i->to;
    j["room"] = i->room;
    j["token"] = i->token;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string serialize(const NearbyServerMessage& m) {
  json j;
  if (const auto* l = std::get_if<NearbyList>(&m)) {
    j = envelope("nearby_list");
    j["devices"] = json::array();
    for (const auto& d : l->devices) j["devices"].push_back(device_json(d));
  } else if (const auto* i = std::get_if<NearbyInvited>(&m)) {
    j = envelope("nearby_invited");
    j["from"] = i->from.id;
    j["name"] = i->from.name;
    j["device"] = std::string(to_string(i->from.device));
    j["room"] = i->room;
    j["token"] = i->token;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ferry::protocol
