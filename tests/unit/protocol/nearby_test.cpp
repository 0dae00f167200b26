// Tests of the nearby envelopes: every message round-trips, and hostile presence input (long
// names, markup, wrong types, unknown fields, long listings) is refused with a named error.
#include <catch2/catch.hpp>
#include <string>

#include "protocol/nearby.h"

using namespace ferry::protocol;

namespace {

const std::string kRoom = "AAAAAAAAAAAAAAAAAAAA";
const std::string kToken = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const std::string kId = "CCCCCCCCCCCCCCCC";

std::string client_error(const std::string& text) {
  auto r = parse_nearby_client_message(text);
  return r ? std::string("ok") : r.error().code;
}
std::string server_error(const std::string& text) {
  auto r = parse_nearby_server_message(text);
  return r ? std::string("ok") : r.error().code;
}

}  // namespace

TEST_CASE("every nearby message survives a round trip") {
  std::vector<NearbyClientMessage> client = {NearbyAnnounce{"Amber Heron", DeviceType::kPhone, true},
                                             NearbyAnnounce{"Quiet-Owl", DeviceType::kDesktop, false},
                                             NearbyLeave{}, NearbyInvite{kId, kRoom, kToken}};
  for (const auto& m : client) {
    auto back = parse_nearby_client_message(serialize(m));
    REQUIRE(back.ok());
    CHECK(*back == m);
  }
  std::vector<NearbyServerMessage> server = {
      NearbyList{}, NearbyList{{{kId, "Amber Heron", DeviceType::kTablet}, {kId, "Red Fox", DeviceType::kOther}}},
      NearbyInvited{{kId, "Amber Heron", DeviceType::kPhone}, kRoom, kToken}};
  for (const auto& m : server) {
    auto back = parse_nearby_server_message(serialize(m));
    REQUIRE(back.ok());
    CHECK(*back == m);
  }
}

TEST_CASE("a device name is letters, spaces and hyphens, at most 32 characters") {
  CHECK(is_valid_device_name("Amber Heron"));
  CHECK(is_valid_device_name(std::string(32, 'a')));
  CHECK_FALSE(is_valid_device_name(std::string(33, 'a')));
  CHECK_FALSE(is_valid_device_name(""));
  CHECK_FALSE(is_valid_device_name(" Amber"));
  CHECK_FALSE(is_valid_device_name("<b>x</b>"));
  CHECK_FALSE(is_valid_device_name("Amber\u202eHeron"));  // a bidi override
  CHECK_FALSE(is_valid_device_name("Amber\nHeron"));
  CHECK_FALSE(is_valid_device_name("Ámber"));
}

TEST_CASE("hostile announces are refused with the field's error") {
  auto announce = [](const std::string& name, const std::string& device, const std::string& visible) {
    return R"({"v":1,"type":"nearby","name":)" + name + R"(,"device":)" + device + R"(,"visible":)" + visible + "}";
  };
  CHECK(client_error(announce(R"("Amber Heron")", R"("phone")", "true")) == "ok");
  CHECK(client_error(announce('"' + std::string(4000, 'a') + '"', R"("phone")", "true")) == "bad_field");
  CHECK(client_error(announce("42", R"("phone")", "true")) == "bad_field");
  CHECK(client_error(announce(R"(["Amber"])", R"("phone")", "true")) == "bad_field");
  CHECK(client_error(announce(R"("Amber Heron")", R"("toaster")", "true")) == "bad_field");
  CHECK(client_error(announce(R"("Amber Heron")", "3", "true")) == "bad_field");
  CHECK(client_error(announce(R"("Amber Heron")", R"("phone")", "1")) == "bad_field");
  CHECK(client_error(announce(R"("Amber Heron")", R"("phone")", R"("yes")")) == "bad_field");
  CHECK(client_error(R"({"v":1,"type":"nearby","name":"Amber","device":"phone"})") == "missing_field");
  CHECK(client_error(R"({"v":1,"type":"nearby","name":"A","device":"phone","visible":true,"ip":"1.2.3.4"})") ==
        "unknown_field");
  CHECK(client_error(R"({"v":2,"type":"nearby_leave"})") == "bad_version");
  CHECK(client_error(R"({"v":1,"type":"nearby_leave","x":1})") == "unknown_field");
  CHECK(client_error(R"({"v":1,"type":"nearby_everyone"})") == "unknown_type");
  CHECK(client_error(R"([1,2])") == "bad_json");
  CHECK(client_error(std::string(30000, '[')) == "too_large");
  CHECK(client_error(std::string(100, '[') + std::string(100, ']')) == "too_deep");
}

TEST_CASE("an invitation names a presence id, a room and a token, each in its exact form") {
  auto invite = [](const std::string& to, const std::string& room, const std::string& token) {
    return R"({"v":1,"type":"nearby_invite","to":")" + to + R"(","room":")" + room + R"(","token":")" + token + "\"}";
  };
  CHECK(client_error(invite(kId, kRoom, kToken)) == "ok");
  CHECK(client_error(invite(kId + "C", kRoom, kToken)) == "bad_field");
  CHECK(client_error(invite("CCCCCCCCCCCCCCC=", kRoom, kToken)) == "bad_field");
  CHECK(client_error(invite(kId, kRoom.substr(1), kToken)) == "bad_field");
  CHECK(client_error(invite(kId, kRoom, "../" + kToken.substr(3))) == "bad_field");
}

TEST_CASE("a listing longer than any group, or with a bad entry, is refused") {
  std::string entry = R"({"id":")" + kId + R"(","name":"Red Fox","device":"phone"})";
  auto listing = [&](int n, const std::string& e) {
    std::string s = R"({"v":1,"type":"nearby_list","devices":[)";
    for (int i = 0; i < n; ++i) s += (i ? "," : "") + e;
    return s + "]}";
  };
  CHECK(server_error(listing(64, entry)) == "ok");
  CHECK(server_error(listing(65, entry)) == "bad_field");
  CHECK(server_error(listing(1, R"({"id":")" + kId + R"(","name":"<script>","device":"phone"})")) == "bad_field");
  CHECK(server_error(listing(1, R"({"id":")" + kId + R"(","name":"Red Fox","device":"phone","ip":"x"})")) ==
        "unknown_field");
  CHECK(server_error(listing(1, "\"Red Fox\"")) == "bad_field");
  CHECK(server_error(R"({"v":1,"type":"nearby_list","devices":{}})") == "bad_field");
}
