// Who a connection is, for the per-address limits: the client's IP address (the TCP peer, or
// what a trusted reverse proxy says it forwarded) and the key the limits count under. Pure
// functions over strings, no sockets; every parser is strict, never throws, and is fuzzed
// (tests/fuzz/server_forwarded_fuzz.cpp).
//
// The key is the IPv4 address, or the IPv6 /64 prefix: one IPv6 subscriber routinely holds a
// whole /64, so counting full IPv6 addresses would give each attacker 2^64 budgets. IPv4-mapped
// IPv6 (::ffff:a.b.c.d, what a dual-stack socket reports) counts as the IPv4 address.
//
// Behind a proxy every client is the proxy's address. With --trust-proxy CIDR..., a TCP peer
// inside one of the ranges is believed about the client: the address is the right-most entry of
// X-Forwarded-For (or, when that header is absent, of Forwarded: for=, RFC 7239) that is not
// itself trusted. Entries to its left were written by the client and are never believed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace ferry::server {

// An IPv4 or IPv6 address; IPv4 is stored as IPv4-mapped IPv6 with v4 set.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
  bool operator==(const IpAddress&) const = default;
};

// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1" (becomes IPv4). A "%zone" suffix is refused.
std::optional<IpAddress> parse_ip(std::string_view text);
std::string to_string(const IpAddress& ip);
bool is_loopback(const IpAddress& ip);

// The per-address limit key: "192.0.2.1" or "2001:db8:1:2::/64".
std::string limit_key(const IpAddress& ip);

struct Cidr {
  IpAddress base;  // masked to the prefix
  int prefix = 0;  // bits, of 32 for IPv4 and of 128 for IPv6
  bool contains(const IpAddress& ip) const;
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128).
std::optional<Cidr> parse_cidr(std::string_view text);
// A comma- and/or space-separated list; an error names the bad entry.
Result<std::vector<Cidr>> parse_cidr_list(std::string_view text);
bool contains_any(const std::vector<Cidr>& ranges, const IpAddress& ip);

// The hop addresses of an X-Forwarded-For value (all its headers joined by ", "), left to
// right. An entry that is not an address (or address:port) is nullopt: the walk stops there.
// nullopt for the whole header when it is empty or has too many entries.
std::optional<std::vector<std::optional<IpAddress>>> parse_x_forwarded_for(std::string_view header);
// The same for Forwarded (RFC 7239): the for= of each element; a syntax error anywhere makes the
// whole header nullopt. An element without for= is a nullopt hop, as are "unknown" and
// obfuscated identifiers.
std::optional<std::vector<std::optional<IpAddress>>> parse_forwarded(std::string_view header);

// The client's address: the TCP peer, unless it is a trusted proxy that forwarded one (see the
// header comment). A forwarded header that cannot be read leaves the peer's address.
// nullopt only when the peer itself is not an address.
std::optional<IpAddress> client_address(std::string_view peer, const std::vector<Cidr>& trusted,
                                        std::string_view forwarded,
                                        std::string_view x_forwarded_for);

}  // namespace ferry::server
