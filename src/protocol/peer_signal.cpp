// Strict parsers for the peer-to-peer signalling messages (see peer_signal.h).
#include "protocol/peer_signal.h"

#include <nlohmann/json.hpp>


#include "util/json.h"

namespace ferry::protocol {

namespace {

using nlohmann::json;

Error bad(std::string code, std::string message) { return make_error(std::move(code), std::move(message)); }

// dump() throws on invalid UTF-8 by default; replace instead, so serialize never throws.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Checks an object's keys against the allowed set.
Status only_fields(const json& obj, std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (auto a : allowed) ok = ok || it.key() == a;
    if (!ok) return bad("unknown_field", "unknown field \"" + it.key().substr(0, 32) + "\"");
  }
  return Ok{};
}

Result<std::string> string_field(const json& obj, const char* name, size_t max_chars, bool allow_empty = false) {
  auto it = obj.find(name);
  if (it == obj.end()) return bad("missing_field", std::string("field \"") + name + "\" is missing");
  if (!it->is_string()) return bad("bad_field", std::string("field \"") + name + "\" must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_chars || (!allow_empty && s.empty())) {
    return bad("bad_field", std::string("field \"") + name + "\" has a bad length");
  }
  return s;
}

Result<uint64_t> gen_field(const json& obj) {
  auto it = obj.find("gen");
  if (it == obj.end()) return bad("missing_field", "field \"gen\" is missing");
  if (!it->is_number_unsigned()) return bad("bad_field", "field \"gen\" must be a non-negative integer");
  return it->get<uint64_t>();
}

Result<uint32_t> lane_field(const json& obj) {
  auto it = obj.find("lane");
  if (it == obj.end()) return bad("missing_field", "field \"lane\" is missing");
  if (!it->is_number_unsigned() || it->get<uint64_t>() == 0 || it->get<uint64_t>() >= kMaxLanes) {
    return bad("bad_field", "field \"lane\" must be 1 to " + std::to_string(kMaxLanes - 1));
  }
  return static_cast<uint32_t>(it->get<uint64_t>());
}

Result<IceCandidate> candidate_from(const json& c) {
  if (!c.is_object()) return bad("bad_field", "a candidate must be an object");
  if (auto st = only_fields(c, {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}); !st) return st.error();
  IceCandidate out;
  // An empty candidate string is the browser's end-of-candidates marker for one m-line.
  auto cand = string_field(c, "candidate", kMaxCandidateChars, /*allow_empty=*/true);
  if (!cand) return cand.error();
  out.candidate = *cand;
  for (auto [name, field] : {std::pair{"sdpMid", &out.sdp_mid}, std::pair{"usernameFragment", &out.username_fragment}}) {
    auto it = c.find(name);
    if (it == c.end() || it->is_null()) continue;
    auto v = string_field(c, name, kMaxCandidateFieldChars, /*allow_empty=*/true);
    if (!v) return v.error();
    *field = *v;
  }
  if (auto it = c.find("sdpMLineIndex"); it != c.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() > 65535) {
      return bad("bad_field", "field \"sdpMLineIndex\" must be a small non-negative integer");
    }
    out.sdp_mline_index = it->get<int64_t>();
  }
  return out;
}

// "candidate": an RTCIceCandidateInit, or null for the end of candidates.
Result<std::optional<IceCandidate>> optional_candidate(const json& obj) {
  auto c = obj.find("candidate");
  if (c == obj.end()) return bad("missing_field", "field \"candidate\" is missing");
  if (c->is_null()) return std::optional<IceCandidate>{};
  auto cand = candidate_from(*c);
  if (!cand) return cand.error();
  return std::optional<IceCandidate>{std::move(cand).value()};
}

json candidate_json(const IceCandidate& c) {
  json j{{"candidate", c.candidate}};
  j["sdpMid"] = c.sdp_mid ? json(*c.sdp_mid) : json(nullptr);
  j["sdpMLineIndex"] = c.sdp_mline_index ? json(*c.sdp_mline_index) : json(nullptr);
  if (c.username_fragment) j["usernameFragment"] = *c.username_fragment;
  return j;
}

Result<json> open_object(std::string_view text) {
  if (text.size() > kMaxPeerSignalBytes) return bad("too_large", "the message is larger than the protocol allows");
  json j = parse_json_limited(text);
  if (j.is_discarded() || !j.is_object()) return bad("bad_json", "the message is not a JSON object (or nests too deep)");
  return j;
}

}  // namespace

Result<PeerSignal> parse_peer_signal(std::string_view text) {
  auto doc = open_object(text);
  if (!doc) return doc.error();
  const json& j = *doc;
  auto t = string_field(j, "t", 16);
  if (!t) return t.error();
  if (*t == "offer") {
    if (auto st = only_fields(j, {"t", "sdp", "gen", "fresh"}); !st) return st.error();
    auto sdp = string_field(j, "sdp", kMaxSdpChars);
    if (!sdp) return sdp.error();
    auto gen = gen_field(j);
    if (!gen) return gen.error();
    auto fresh = j.find("fresh");
    if (fresh == j.end() || !fresh->is_boolean()) return bad("bad_field", "field \"fresh\" must be a boolean");
    return PeerSignal{peer::Offer{*sdp, *gen, fresh->get<bool>()}};
  }
  if (*t == "answer") {
    if (auto st = only_fields(j, {"t", "sdp", "gen"}); !st) return st.error();
    auto sdp = string_field(j, "sdp", kMaxSdpChars);
    if (!sdp) return sdp.error();
    auto gen = gen_field(j);
    if (!gen) return gen.error();
    return PeerSignal{peer::Answer{*sdp, *gen}};
  }
  if (*t == "ice") {
    if (auto st = only_fields(j, {"t", "candidate", "gen"}); !st) return st.error();
    auto gen = gen_field(j);
    if (!gen) return gen.error();
    auto cand = optional_candidate(j);
    if (!cand) return cand.error();
    return PeerSignal{peer::Ice{std::move(cand).value(), *gen}};
  }
  if (*t == "lane_offer" || *t == "lane_answer") {
    if (auto st = only_fields(j, {"t", "lane", "sdp", "gen"}); !st) return st.error();
    auto lane = lane_field(j);
    if (!lane) return lane.error();
    auto sdp = string_field(j, "sdp", kMaxSdpChars);
    if (!sdp) return sdp.error();
    auto gen = gen_field(j);
    if (!gen) return gen.error();
    if (*t == "lane_offer") return PeerSignal{peer::LaneOffer{*lane, *sdp, *gen}};
    return PeerSignal{peer::LaneAnswer{*lane, *sdp, *gen}};
  }
  if (*t == "lane_ice") {
    if (auto st = only_fields(j, {"t", "lane", "candidate", "gen"}); !st) return st.error();
    auto lane = lane_field(j);
    if (!lane) return lane.error();
    auto gen = gen_field(j);
    if (!gen) return gen.error();
    auto cand = optional_candidate(j);
    if (!cand) return cand.error();
    return PeerSignal{peer::LaneIce{*lane, std::move(cand).value(), *gen}};
  }
  if (*t == "race") {
    if (auto st = only_fields(j, {"t", "gen"}); !st) return st.error();
    auto gen = gen_field(j);
    if (!gen) return gen.error();
    return PeerSignal{peer::Race{*gen}};
  }
  if (*t == "restart" || *t == "relay") {
    if (auto st = only_fields(j, {"t"}); !st) return st.error();
    if (*t == "restart") return PeerSignal{peer::Restart{}};
    return PeerSignal{peer::Relay{}};
  }
  return bad("unknown_type", "unknown signalling message type");
}

std::string_view type_name(const PeerSignal& m) {
  struct V {
    std::string_view operator()(const peer::Offer&) const { return "offer"; }
    std::string_view operator()(const peer::Answer&) const { return "answer"; }
    std::string_view operator()(const peer::Ice&) const { return "ice"; }
    std::string_view operator()(const peer::Restart&) const { return "restart"; }
    std::string_view operator()(const peer::Relay&) const { return "relay"; }
    std::string_view operator()(const peer::Race&) const { return "race"; }
    std::string_view operator()(const peer::LaneOffer&) const { return "lane_offer"; }
    std::string_view operator()(const peer::LaneAnswer&) const { return "lane_answer"; }
    std::string_view operator()(const peer::LaneIce&) const { return "lane_ice"; }
  };
  return std::visit(V{}, m);
}

std::string serialize(const PeerSignal& m) {
  json j{{"t", std::string(type_name(m))}};
  if (const auto* o = std::get_if<peer::Offer>(&m)) {
    j["sdp"] = o->sdp;
    j["gen"] = o->gen;
    j["fresh"] = o->fresh;
  } else if (const auto* a = std::get_if<peer::Answer>(&m)) {
    j["sdp"] = a->sdp;
    j["gen"] = a->gen;
  } else if (const auto* i = std::get_if<peer::Ice>(&m)) {
    j["candidate"] = i->candidate ? candidate_json(*i->candidate) : json(nullptr);
    j["gen"] = i->gen;
  } else if (const auto* r = std::get_if<peer::Race>(&m)) {
    j["gen"] = r->gen;
  } else if (const auto* lo = std::get_if<peer::LaneOffer>(&m)) {
    j["lane"] = lo->lane;
    j["sdp"] = lo->sdp;
    j["gen"] = lo->gen;
  } else if (const auto* la = std::get_if<peer::LaneAnswer>(&m)) {
    j["lane"] = la->lane;
    j["sdp"] = la->sdp;
    j["gen"] = la->gen;
  } else if (const auto* li = std::get_if<peer::LaneIce>(&m)) {
    j["lane"] = li->lane;
    j["candidate"] = li->candidate ? candidate_json(*li->candidate) : json(nullptr);
    j["gen"] = li->gen;
  }
  return dump(j);
}

Result<SessionDescription> parse_session_description(std::string_view text) {
  auto doc = open_object(text);
  if (!doc) return doc.error();
  auto type = string_field(*doc, "type", 16);
  if (!type) return type.error();
  if (*type != "offer" && *type != "answer") return bad("bad_field", "field \"type\" must be offer or answer");
  auto sdp = string_field(*doc, "sdp", kMaxSdpChars);
  if (!sdp) return sdp.error();
  return SessionDescription{*type, *sdp};
}

std::string serialize(const SessionDescription& d) { return dump(json{{"type", d.type}, {"sdp", d.sdp}}); }

Result<IceCandidate> parse_ice_candidate(std::string_view text) {
  auto doc = open_object(text);
  if (!doc) return doc.error();
  // The browser's toJSON() may add fields of newer versions: keep only the four we know.
  json known = json::object();
  for (const char* k : {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}) {
    if (doc->contains(k)) known[k] = (*doc)[k];
  }
  return candidate_from(known);
}

std::string serialize(const IceCandidate& c) { return dump(candidate_json(c)); }

}  // namespace ferry::protocol
