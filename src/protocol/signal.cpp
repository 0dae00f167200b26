// Strict JSON codec for the ferry.v1 signalling envelopes (see signal.h).
#include "protocol/signal.h"

#include <array>
#include <initializer_list>
#include <optional>
#include <nlohmann/json.hpp>

#include "session/ids.h"
#include "util/json.h"

namespace ferry::protocol {
namespace {

using nlohmann::json;

Error bad(std::string code, std::string message) { return make_error(std::move(code), std::move(message)); }

// Reads the fields of one envelope object, remembering which were consumed so that any
// field left over is reported as unknown.
class Fields {
 public:
  explicit Fields(const json& obj) : obj_(obj) {}

  // Returns nullptr and sets error_ when the field is missing or not a string.
  const std::string* string(const char* name, bool (*valid)(std::string_view)) {
    used_.push_back(name);
    auto it = obj_.find(name);
    if (it == obj_.end()) {
      fail("missing_field", std::string("field \"") + name + "\" is missing");
      return nullptr;
    }
    if (!it->is_string()) {
      fail("bad_field", std::string("field \"") + name + "\" must be a string");
      return nullptr;
    }
    const auto* s = it->get_ptr<const std::string*>();
    if (valid && !valid(*s)) {
      fail("bad_field", std::string("field \"") + name + "\" has a bad length or alphabet");
      return nullptr;
    }
    return s;
  }

  bool boolean(const char* name, bool& out) {
    used_.push_back(name);
    auto it = obj_.find(name);
    if (it == obj_.end()) return fail("missing_field", std::string("field \"") + name + "\" is missing");
    if (!it->is_boolean()) return fail("bad_field", std::string("field \"") + name + "\" must be a boolean");
    out = it->get<bool>();
    return true;
  }

  // A non-negative integer. An optional field that is missing leaves out unchanged.
  bool integer(const char* name, int64_t& out, bool optional = false) {
    used_.push_back(name);
    auto it = obj_.find(name);
    if (it == obj_.end()) {
      return optional || fail("missing_field", std::string("field \"") + name + "\" is missing");
    }
    if (!it->is_number_integer()) return fail("bad_field", std::string("field \"") + name + "\" must be an integer");
    // Unsigned values above int64 range are refused rather than wrapped.
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return fail("bad_field", std::string("field \"") + name + "\" is out of range");
    }
    out = it->get<int64_t>();
    if (out < 0) return fail("bad_field", std::string("field \"") + name + "\" must not be negative");
    return true;
  }

  bool ice_servers(const char* name, std::vector<IceServer>& out);

  // Every key must have been consumed (plus "v" and "type").
  bool no_unknown() {
    if (error_) return false;
    for (const auto& [key, value] : obj_.items()) {
      (void)value;
      if (key == "v" || key == "type") continue;
      bool known = false;
      for (const auto& u : used_) known = known || key == u;
      if (!known) return fail("unknown_field", "field \"" + truncated(key) + "\" is not allowed here");
    }
    return true;
  }

  bool ok() const { return !error_; }
  Error error() const { return *error_; }

 private:
  static std::string truncated(const std::string& s) { return s.size() > 32 ? s.substr(0, 32) + "..." : s; }
  bool fail(std::string code, std::string message) {
    if (!error_) error_ = bad(std::move(code), std::move(message));
    return false;
  }

  const json& obj_;
  std::vector<std::string> used_;
  std::optional<Error> error_;
};

bool is_ice_url(std::string_view s) {
  if (s.empty() || s.size() > kMaxIceFieldChars) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;  // printable ASCII only
  }
  return s.starts_with("stun:") || s.starts_with("stuns:") || s.starts_with("turn:") || s.starts_with("turns:");
}

bool is_ice_credential(std::string_view s) {
  if (s.size() > kMaxIceFieldChars) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

bool Fields::ice_servers(const char* name, std::vector<IceServer>& out) {
  used_.push_back(name);
  auto it = obj_.find(name);
  if (it == obj_.end()) return fail("missing_field", std::string("field \"") + name + "\" is missing");
  if (!it->is_array() || it->size() > kMaxIceServers) {
    return fail("bad_field", std::string("field \"") + name + "\" must be an array of at most 8 servers");
  }
  for (const auto& entry : *it) {
    if (!entry.is_object()) return fail("bad_field", "an ICE server must be an object");
    IceServer server;
    for (const auto& [key, value] : entry.items()) {
      if (key == "urls") {
        if (!value.is_array() || value.empty() || value.size() > kMaxIceUrls) {
          return fail("bad_field", "ICE server \"urls\" must be an array of 1 to 8 URLs");
        }
        for (const auto& url : value) {
          if (!url.is_string() || !is_ice_url(url.get_ref<const std::string&>())) {
            return fail("bad_field", "an ICE server URL must be a stun:, stuns:, turn: or turns: URL");
          }
          server.urls.push_back(url.get<std::string>());
        }
      } else if (key == "username" || key == "credential") {
        if (!value.is_string() || !is_ice_credential(value.get_ref<const std::string&>())) {
          return fail("bad_field", "ICE server \"" + key + "\" must be a short printable string");
        }
        (key == "username" ? server.username : server.credential) = value.get<std::string>();
      } else {
        return fail("unknown_field", "ICE server field \"" + truncated(key) + "\" is not allowed");
      }
    }
    if (server.urls.empty()) return fail("missing_field", "an ICE server needs \"urls\"");
    out.push_back(std::move(server));
  }
  return true;
}

bool is_error_code(std::string_view s) {
  if (s.empty() || s.size() > kMaxErrorCodeChars) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}
bool is_error_message(std::string_view s) { return s.size() <= kMaxErrorMessageChars; }

// Parses the outer object and checks "v" and "type". On success returns the type string.
Result<std::string> open_envelope(std::string_view text, json& doc) {
  if (text.size() > kMaxEnvelopeBytes) return bad("too_large", "the message is larger than the protocol allows");
  if (!json_depth_ok(text, kMaxJsonDepth)) return bad("too_deep", "the message nests deeper than the protocol allows");
  doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad("bad_json", "the message is not valid JSON");
  if (!doc.is_object()) return bad("bad_json", "the message must be a JSON object");
  auto v = doc.find("v");
  if (v == doc.end()) return bad("missing_field", "field \"v\" (the protocol version) is missing");
  if (!v->is_number_integer() || v->get<int64_t>() != kSignalVersion) {
    return bad("bad_version", "this server speaks protocol version 1 only");
  }
  auto type = doc.find("type");
  if (type == doc.end()) return bad("missing_field", "field \"type\" is missing");
  if (!type->is_string()) return bad("bad_field", "field \"type\" must be a string");
  return type->get<std::string>();
}

json envelope(std::string_view type) {
  json j = json::object();
  j["v"] = kSignalVersion;
  j["type"] = std::string(type);
  return j;
}

json ice_json(const std::vector<IceServer>& servers) {
  json arr = json::array();
  for (const auto& s : servers) {
    json e = json::object();
    e["urls"] = s.urls;
    if (!s.username.empty()) e["username"] = s.username;
    if (!s.credential.empty()) e["credential"] = s.credential;
    arr.push_back(std::move(e));
  }
  return arr;
}

// dump() throws on invalid UTF-8 by default; replace instead, so serialize never throws.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The relay is the server's hot path, both ways: the JSON writer spells it with its keys in sorted
// order, and a base64url payload has nothing to escape, so these bytes around the payload are the
// whole envelope. serialize() writes them directly; the parsers recognise them without the JSON
// parser. Any other spelling of a relay (other key order, spaces, escapes) takes the general path,
// which gives the same result for the same message.
constexpr std::string_view kRelayHead = R"({"payload":")";
constexpr std::string_view kRelayTail = R"(","type":"relay","v":1})";

// The payload of a relay written exactly as serialize() writes it, or nothing.
std::optional<std::string_view> canonical_relay_payload(std::string_view text) {
  if (text.size() <= kRelayHead.size() + kRelayTail.size()) return std::nullopt;
  if (!text.starts_with(kRelayHead) || !text.ends_with(kRelayTail)) return std::nullopt;
  auto payload = text.substr(kRelayHead.size(), text.size() - kRelayHead.size() - kRelayTail.size());
  if (!is_valid_payload(payload)) return std::nullopt;  // e.g. a quote inside: not this shape after all
  return payload;
}

template <class T>
Result<T> finish(Fields& f, T value) {
  if (!f.no_unknown()) return f.error();
  return value;
}

}  // namespace

namespace {
// The base64url alphabet as a table: every relay's payload is checked twice on the server (parse
// and serialize), and one lookup per character replaces five range comparisons.
constexpr std::array<bool, 256> kBase64url = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }
  return t;
}();
}  // namespace

bool is_base64url(std::string_view s) {
  bool ok = true;
  for (char c : s) ok &= kBase64url[static_cast<unsigned char>(c)];  // no early exit: one branch-free pass
  return ok;
}
bool is_valid_room(std::string_view s) { return s.size() == session::kRoomIdChars && is_base64url(s); }
bool is_valid_token(std::string_view s) { return s.size() == session::kTokenChars && is_base64url(s); }
bool is_valid_nameplate(std::string_view s) {
  if (s.empty() || s.size() > 6 || s[0] == '0') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
bool is_valid_payload(std::string_view s) { return !s.empty() && s.size() <= kMaxPayloadChars && is_base64url(s); }

Result<ClientMessage> parse_client_message(std::string_view text) {
  if (auto payload = canonical_relay_payload(text)) return ClientMessage{Relay{std::string(*payload)}};
  json doc;
  auto type = open_envelope(text, doc);
  if (!type) return type.error();
  Fields f(doc);
  const std::string& t = *type;
  if (t == "create") return finish<ClientMessage>(f, Create{});
  if (t == "pake_failed") return finish<ClientMessage>(f, PakeFailed{});
  if (t == "pake_confirmed") return finish<ClientMessage>(f, PakeConfirmed{});
  if (t == "reject_peer") return finish<ClientMessage>(f, RejectPeer{});
  if (t == "new_code") return finish<ClientMessage>(f, NewCode{});
  if (t == "join") {
    if (doc.contains("nameplate")) {
      const auto* np = f.string("nameplate", is_valid_nameplate);
      if (!f.ok()) return f.error();
      return finish<ClientMessage>(f, JoinByNameplate{*np});
    }
    const auto* room = f.string("room", is_valid_room);
    const auto* token = f.string("token", is_valid_token);
    if (!f.ok()) return f.error();
    return finish<ClientMessage>(f, JoinByToken{*room, *token});
  }
  if (t == "rejoin") {
    const auto* room = f.string("room", is_valid_room);
    const auto* resume = f.string("resume", is_valid_token);
    if (!f.ok()) return f.error();
    return finish<ClientMessage>(f, Rejoin{*room, *resume});
  }
  if (t == "relay") {
    const auto* payload = f.string("payload", is_valid_payload);
    if (!f.ok()) return f.error();
    return finish<ClientMessage>(f, Relay{*payload});
  }
  return bad("unknown_type", "unknown message type");
}

Result<ServerMessage> parse_server_message(std::string_view text) {
  if (auto payload = canonical_relay_payload(text)) return ServerMessage{Relayed{std::string(*payload)}};
  json doc;
  auto type = open_envelope(text, doc);
  if (!type) return type.error();
  Fields f(doc);
  const std::string& t = *type;
  if (t == "peer_joined") return finish<ServerMessage>(f, PeerJoined{});
  if (t == "peer_left") return finish<ServerMessage>(f, PeerLeft{});
  if (t == "created") {
    Created m;
    const auto* room = f.string("room", is_valid_room);
    const auto* token = f.string("token", is_valid_token);
    // "": no short code was free (the server's RoomRegistry, or --redis after its retries): the
    // room works by link only.
    const auto* np = f.string("nameplate", [](std::string_view s) { return s.empty() || is_valid_nameplate(s); });
    const auto* resume = f.string("resume", is_valid_token);
    f.integer("expires", m.expires);
    f.ice_servers("ice_servers", m.ice_servers);
    f.integer("relay_rate", m.relay_rate, /*optional=*/true);  // absent from older servers: relay off
    if (!f.ok()) return f.error();
    m.room = *room;
    m.token = *token;
    m.nameplate = *np;
    m.resume = *resume;
    return finish<ServerMessage>(f, std::move(m));
  }
  if (t == "joined") {
    Joined m;
    const auto* room = f.string("room", is_valid_room);
    const auto* resume = f.string("resume", is_valid_token);
    f.integer("expires", m.expires);
    f.boolean("creator", m.creator);
    f.boolean("peer", m.peer);
    f.ice_servers("ice_servers", m.ice_servers);
    f.integer("relay_rate", m.relay_rate, /*optional=*/true);
    if (!f.ok()) return f.error();
    m.room = *room;
    m.resume = *resume;
    return finish<ServerMessage>(f, std::move(m));
  }
  if (t == "relay") {
    const auto* payload = f.string("payload", is_valid_payload);
    if (!f.ok()) return f.error();
    return finish<ServerMessage>(f, Relayed{*payload});
  }
  if (t == "nameplate") {
    const auto* np = f.string("nameplate", is_valid_nameplate);
    if (!f.ok()) return f.error();
    return finish<ServerMessage>(f, NewNameplate{*np});
  }
  if (t == "error") {
    const auto* code = f.string("code", is_error_code);
    const auto* message = f.string("message", is_error_message);
    if (!f.ok()) return f.error();
    return finish<ServerMessage>(f, ErrorMessage{*code, *message});
  }
  return bad("unknown_type", "unknown message type");
}

std::string_view type_name(const ClientMessage& m) {
  struct V {
    std::string_view operator()(const Create&) const { return "create"; }
    std::string_view operator()(const JoinByToken&) const { return "join"; }
    std::string_view operator()(const JoinByNameplate&) const { return "join"; }
    std::string_view operator()(const Rejoin&) const { return "rejoin"; }
    std::string_view operator()(const Relay&) const { return "relay"; }
    std::string_view operator()(const PakeFailed&) const { return "pake_failed"; }
    std::string_view operator()(const PakeConfirmed&) const { return "pake_confirmed"; }
    std::string_view operator()(const RejectPeer&) const { return "reject_peer"; }
    std::string_view operator()(const NewCode&) const { return "new_code"; }
  };
  return std::visit(V{}, m);
}

std::string_view type_name(const ServerMessage& m) {
  struct V {
    std::string_view operator()(const Created&) const { return "created"; }
    std::string_view operator()(const Joined&) const { return "joined"; }
    std::string_view operator()(const PeerJoined&) const { return "peer_joined"; }
    std::string_view operator()(const PeerLeft&) const { return "peer_left"; }
    std::string_view operator()(const Relayed&) const { return "relay"; }
    std::string_view operator()(const ErrorMessage&) const { return "error"; }
    std::string_view operator()(const NewNameplate&) const { return "nameplate"; }
  };
  return std::visit(V{}, m);
}

std::string serialize(const ClientMessage& m) {
  if (const auto* r = std::get_if<Relay>(&m); r && is_base64url(r->payload)) return relay_envelope(r->payload);
  json j = envelope(type_name(m));
  if (const auto* a = std::get_if<JoinByToken>(&m)) {
    j["room"] = a->room;
    j["token"] = a->token;
  } else if (const auto* b = std::get_if<JoinByNameplate>(&m)) {
    j["nameplate"] = b->nameplate;
  } else if (const auto* c = std::get_if<Rejoin>(&m)) {
    j["room"] = c->room;
    j["resume"] = c->resume;
  } else if (const auto* d = std::get_if<Relay>(&m)) {
    j["payload"] = d->payload;
  }
  return dump(j);
}

std::string relay_envelope(std::string_view base64url_payload) {
  std::string out;
  out.reserve(kRelayHead.size() + base64url_payload.size() + kRelayTail.size());
  out += kRelayHead;
  out += base64url_payload;
  out += kRelayTail;
  return out;
}

std::string serialize(const ServerMessage& m) {
  // The relay, written directly (see kRelayHead).
  if (const auto* r = std::get_if<Relayed>(&m); r && is_base64url(r->payload)) return relay_envelope(r->payload);
  json j = envelope(type_name(m));
  if (const auto* a = std::get_if<Created>(&m)) {
    j["room"] = a->room;
    j["token"] = a->token;
    j["nameplate"] = a->nameplate;
    j["expires"] = a->expires;
    j["resume"] = a->resume;
    j["ice_servers"] = ice_json(a->ice_servers);
    j["relay_rate"] = a->relay_rate;
  } else if (const auto* b = std::get_if<Joined>(&m)) {
    j["room"] = b->room;
    j["resume"] = b->resume;
    j["expires"] = b->expires;
    j["creator"] = b->creator;
    j["peer"] = b->peer;
    j["ice_servers"] = ice_json(b->ice_servers);
    j["relay_rate"] = b->relay_rate;
  } else if (const auto* c = std::get_if<Relayed>(&m)) {
    j["payload"] = c->payload;
  } else if (const auto* d = std::get_if<ErrorMessage>(&m)) {
    j["code"] = d->code;
    j["message"] = d->message;
  } else if (const auto* e = std::get_if<NewNameplate>(&m)) {
    j["nameplate"] = e->nameplate;
  }
  return dump(j);
}

}  // namespace ferry::protocol
