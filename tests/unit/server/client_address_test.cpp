// Tests of client addresses for the per-address limits: the IPv6 /64 key, trusted proxies and
// their forwarding headers, hostile headers included.
#include "client_address.h"

#include <catch2/catch.hpp>

using namespace ferry::server;

namespace {

std::string key(std::string_view ip) {
  return limit_key(parse_ip(ip).value());
}

std::vector<Cidr> cidrs(std::string_view list) {
  return parse_cidr_list(list).value();
}

std::string client(std::string_view peer, std::string_view trusted, std::string_view forwarded,
                   std::string_view xff) {
  auto c = client_address(peer, cidrs(trusted), forwarded, xff);
  return c ? to_string(*c) : "none";
}

}  // namespace

TEST_CASE("limits key on the IPv4 address and on the IPv6 /64") {
  CHECK(key("192.0.2.7") == "192.0.2.7");
  CHECK(key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  CHECK(key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9"));
  CHECK(key("2001:db8:1:3::1") != key("2001:db8:1:2::1"));
}

TEST_CASE("IPv4-mapped IPv6 counts as the IPv4 address") {
  auto mapped = parse_ip("::ffff:192.0.2.7");
  REQUIRE(mapped);
  CHECK(mapped->v4);
  CHECK(*mapped == *parse_ip("192.0.2.7"));
  CHECK(key("::ffff:192.0.2.7") == "192.0.2.7");
  CHECK(key("::ffff:c000:0207") == "192.0.2.7");
}

TEST_CASE("addresses are parsed strictly") {
  CHECK_FALSE(parse_ip(""));
  CHECK_FALSE(parse_ip("192.0.2"));
  CHECK_FALSE(parse_ip("192.0.2.256"));
  CHECK_FALSE(parse_ip("192.0.2.1 "));
  CHECK_FALSE(parse_ip("fe80::1%eth0"));
  CHECK_FALSE(parse_ip(std::string_view("1.2.3.4\0x", 9)));
  CHECK_FALSE(parse_ip(std::string(200, '1')));
  CHECK(is_loopback(*parse_ip("127.0.0.5")));
  CHECK(is_loopback(*parse_ip("::1")));
  CHECK(is_loopback(*parse_ip("::ffff:127.0.0.1")));
  CHECK_FALSE(is_loopback(*parse_ip("10.0.0.1")));
}

TEST_CASE("CIDR ranges contain what they should") {
  auto v4 = parse_cidr("10.1.0.0/16");
  REQUIRE(v4);
  CHECK(v4->contains(*parse_ip("10.1.255.3")));
  CHECK_FALSE(v4->contains(*parse_ip("10.2.0.1")));
  CHECK(v4->contains(*parse_ip("::ffff:0a01:0000")));  // mapped is IPv4
  auto v6 = parse_cidr("2001:db8::/32");
  REQUIRE(v6);
  CHECK(v6->contains(*parse_ip("2001:db8:ffff::1")));
  CHECK_FALSE(v6->contains(*parse_ip("2001:db9::1")));
  CHECK_FALSE(v6->contains(*parse_ip("10.1.0.1")));
  auto host = parse_cidr("192.0.2.1");
  REQUIRE(host);
  CHECK(host->prefix == 32);
  CHECK(parse_cidr("0.0.0.0/0")->contains(*parse_ip("203.0.113.9")));
  CHECK(parse_cidr("10.1.2.3/8")->contains(*parse_ip("10.200.0.1")));  // host bits are masked
  CHECK(parse_cidr("::ffff:10.0.0.0/104")->contains(*parse_ip("10.9.9.9")));
}

TEST_CASE("bad CIDRs are refused with the entry named") {
  CHECK_FALSE(parse_cidr("10.0.0.0/33"));
  CHECK_FALSE(parse_cidr("2001:db8::/129"));
  CHECK_FALSE(parse_cidr("10.0.0.0/"));
  CHECK_FALSE(parse_cidr("10.0.0.0/-1"));
  CHECK_FALSE(parse_cidr("10.0.0.0/8/8"));
  CHECK_FALSE(parse_cidr("example.com/8"));
  auto list = parse_cidr_list("10.0.0.0/8, 192.168.0.0/16 fd00::/8");
  REQUIRE(list);
  CHECK(list->size() == 3);
  auto bad = parse_cidr_list("10.0.0.0/8,nonsense");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("nonsense") != std::string::npos);
}

TEST_CASE("without --trust-proxy forwarding headers are ignored") {
  CHECK(client("203.0.113.9", "", "for=198.51.100.1", "198.51.100.1") == "203.0.113.9");
}

TEST_CASE("a peer outside the trusted ranges is not believed") {
  CHECK(client("203.0.113.9", "10.0.0.0/8", "", "198.51.100.1") == "203.0.113.9");
}

TEST_CASE("a trusted proxy's X-Forwarded-For gives the right-most untrusted address") {
  CHECK(client("10.0.0.2", "10.0.0.0/8", "", "198.51.100.1") == "198.51.100.1");
  // The client wrote the left part itself: only the proxy's appended entry counts.
  CHECK(client("10.0.0.2", "10.0.0.0/8", "", "1.1.1.1, 198.51.100.1") == "198.51.100.1");
  // A chain of trusted proxies is walked through.
  CHECK(client("10.0.0.2", "10.0.0.0/8", "", "198.51.100.1, 10.0.0.7") == "198.51.100.1");
  CHECK(client("10.0.0.2", "10.0.0.0/8", "", "198.51.100.1:5555") == "198.51.100.1");
  CHECK(client("10.0.0.2", "10.0.0.0/8", "", "[2001:db8::5]:443") == "2001:db8::5");
  CHECK(client("10.0.0.2", "10.0.0.0/8", "", "2001:db8::5") == "2001:db8::5");
  CHECK(client("10.0.0.2", "10.0.0.0/8", "", "::ffff:198.51.100.1") == "198.51.100.1");
  // Every hop trusted: the client is inside the trusted network.
  CHECK(client("10.0.0.2", "10.0.0.0/8", "", "10.9.9.9") == "10.9.9.9");
}

TEST_CASE("a trusted proxy's Forwarded header is read when there is no X-Forwarded-For") {
  CHECK(client("10.0.0.2", "10.0.0.0/8", "for=198.51.100.1", "") == "198.51.100.1");
  CHECK(client("10.0.0.2", "10.0.0.0/8", "for=1.1.1.1, for=198.51.100.1;proto=https;by=10.0.0.2",
               "") == "198.51.100.1");
  CHECK(client("10.0.0.2", "10.0.0.0/8", R"(For="[2001:db8:cafe::17]:4711")", "") ==
        "2001:db8:cafe::17");
  CHECK(client("10.0.0.2", "10.0.0.0/8", R"(for="198.51.100.1:80", for=10.0.0.9)", "") ==
        "198.51.100.1");
  // X-Forwarded-For wins when both arrive (the header common proxies append by default).
  CHECK(client("10.0.0.2", "10.0.0.0/8", "for=1.1.1.1", "198.51.100.1") == "198.51.100.1");
}

TEST_CASE("hostile forwarding headers leave the proxy's address") {
  const char* trusted = "10.0.0.0/8";
  // Not addresses: the last trusted hop is all that is known.
  CHECK(client("10.0.0.2", trusted, "", "not-an-ip") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "", "198.51.100.1, garbage") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "", "garbage, 10.0.0.7") == "10.0.0.7");
  CHECK(client("10.0.0.2", trusted, "", "1.2.3.4:99999999") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "", "[1.2.3.4]") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "", "fe80::1%eth0") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "", std::string(10'000, ',')) == "10.0.0.2");
  std::string many;
  for (int i = 0; i < 100; ++i) many += "198.51.100." + std::to_string(i % 250) + ",";
  CHECK(client("10.0.0.2", trusted, "", many) == "10.0.0.2");  // too many hops
  // Forwarded syntax errors spoil the whole header.
  CHECK(client("10.0.0.2", trusted, "for=198.51.100.1;for=1.1.1.1", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, R"(for="198.51.100.1)", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "for", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "for=", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "=1.2.3.4", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "for=1.2.3.4 junk", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, std::string("for=\"1.2.3.4\x01\""), "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "for=unknown", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "for=_hidden", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, "proto=https", "") == "10.0.0.2");
  CHECK(client("10.0.0.2", trusted, std::string(5000, '"'), "") == "10.0.0.2");
}

TEST_CASE("the forwarding parsers list every hop") {
  auto x = parse_x_forwarded_for(" 198.51.100.1 ,,\t2001:db8::1, junk ");
  REQUIRE(x);
  REQUIRE(x->size() == 3);
  CHECK((*x)[0].has_value());
  CHECK((*x)[1].has_value());
  CHECK_FALSE((*x)[2].has_value());
  CHECK_FALSE(parse_x_forwarded_for(""));
  auto f =
      parse_forwarded(R"(for=192.0.2.43, for="[2001:db8:cafe::17]";proto=http, by=10.0.0.1 ;; ,)");
  REQUIRE(f);
  REQUIRE(f->size() == 3);
  CHECK((*f)[0].has_value());
  CHECK((*f)[1].has_value());
  CHECK_FALSE((*f)[2].has_value());  // an element without for=
  CHECK(parse_forwarded(R"(for="\"quoted\"")")->at(0) == std::nullopt);
}

TEST_CASE("a peer address with an interface zone is still the peer") {
  CHECK(client("fe80::1%eth0", "", "", "") == "fe80::1");
  CHECK(client("unknown", "", "", "") == "none");
}
