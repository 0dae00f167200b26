// Client addresses, limit keys and forwarded headers (see client_address.h).
#include "client_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace ferry::server {
namespace {

// The longest textual IPv6 address with an embedded IPv4 is 45 characters; anything longer is
// not an address and is not copied around.
constexpr size_t kMaxAddressText = 64;
// Forwarding chains are a few proxies long; a header listing more is hostile, and walking it
// would let one request cost the server a scan of 16 KiB of header per limit check.
constexpr size_t kMaxForwardedHops = 64;
// An IPv6 subscriber is routinely given a /64 (RFC 6177), so it is the unit of the limits.
constexpr int kIpv6LimitPrefix = 64;
constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "1.2.3.4", "1.2.3.4:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:80".
std::optional<IpAddress> parse_hop(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1), 5)))
      return std::nullopt;
    auto ip = parse_ip(s.substr(1, close - 1));
    if (!ip || ip->v4) return std::nullopt;  // brackets are for IPv6 only
    return ip;
  }
  if (auto ip = parse_ip(s)) return ip;
  auto colon = s.find(':');
  if (colon == std::string_view::npos || s.find(':', colon + 1) != std::string_view::npos)
    return std::nullopt;
  if (!all_digits(s.substr(colon + 1), 5)) return std::nullopt;
  auto ip = parse_ip(s.substr(0, colon));
  if (!ip || !ip->v4) return std::nullopt;
  return ip;
}

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// A cursor over a Forwarded header (RFC 7239 section 4, with RFC 7230 lists and quoting).
class ForwardedParser {
 public:
  explicit ForwardedParser(std::string_view s) : s_(s) {}

  std::optional<std::vector<std::optional<IpAddress>>> parse() {
    std::vector<std::optional<IpAddress>> hops;
    while (true) {
      skip_ows();
      if (at_end()) break;
      if (peek() == ',') {  // an empty list element
        ++pos_;
        continue;
      }
      if (hops.size() >= kMaxForwardedHops) return std::nullopt;
      auto hop = element();
      if (!hop) return std::nullopt;
      hops.push_back(*hop);
      skip_ows();
      if (at_end()) break;
      if (peek() != ',') return std::nullopt;
      ++pos_;
    }
    if (hops.empty()) return std::nullopt;
    return hops;
  }

 private:
  // One element: pairs separated by ';'. Returns its for= node (nullopt inside when absent or
  // not an address); nullopt outside on a syntax error.
  std::optional<std::optional<IpAddress>> element() {
    std::optional<IpAddress> node;
    bool seen_for = false;
    while (true) {
      skip_ows();
      if (!at_end() && peek() == ';') {  // an empty pair
        ++pos_;
        continue;
      }
      if (at_end() || peek() == ',') break;
      std::string_view name = token();
      if (name.empty() || at_end() || peek() != '=') return std::nullopt;
      ++pos_;
      std::string value;
      if (!at_end() && peek() == '"') {
        if (!quoted(value)) return std::nullopt;
      } else {
        std::string_view t = token();
        if (t.empty()) return std::nullopt;
        value = std::string(t);
      }
      if (iequals(name, "for")) {
        if (seen_for) return std::nullopt;  // a parameter occurs once per element
        seen_for = true;
        if (value != "unknown" && !value.starts_with('_')) node = parse_hop(value);
      }
      skip_ows();
      if (at_end() || peek() == ',') break;
      if (peek() != ';') return std::nullopt;
      ++pos_;
    }
    return node;
  }

  std::string_view token() {
    size_t start = pos_;
    while (!at_end() && is_tchar(peek())) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  bool quoted(std::string& out) {
    ++pos_;  // the opening quote
    while (!at_end()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (at_end()) return false;
        c = s_[pos_++];
      }
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
      if (out.size() >= kMaxAddressText) return false;
      out.push_back(c);
    }
    return false;  // unterminated
  }

  void skip_ows() {
    while (!at_end() && is_ows(peek())) ++pos_;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressText) return std::nullopt;
  if (text.find('\0') != std::string_view::npos || text.find('%') != std::string_view::npos)
    return std::nullopt;
  std::string z(text);  // inet_pton wants a terminated string
  IpAddress ip;
  uint8_t v4[4];
  if (inet_pton(AF_INET, z.c_str(), v4) == 1) {
    std::memcpy(ip.bytes.data(), kMappedPrefix, sizeof kMappedPrefix);
    std::memcpy(ip.bytes.data() + 12, v4, 4);
    ip.v4 = true;
    return ip;
  }
  if (inet_pton(AF_INET6, z.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  ip.v4 = std::memcmp(ip.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0;
  return ip;
}

std::string to_string(const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ip.v4) {
    inet_ntop(AF_INET, ip.bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf);
  }
  return buf;
}

bool is_loopback(const IpAddress& ip) {
  if (ip.v4) return ip.bytes[12] == 127;
  static const std::array<uint8_t, 16> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
  return ip.bytes == kLoopback6;
}

std::string limit_key(const IpAddress& ip) {
  if (ip.v4) return to_string(ip);
  IpAddress net = ip;
  for (size_t i = kIpv6LimitPrefix / 8; i < net.bytes.size(); ++i) net.bytes[i] = 0;
  return to_string(net) + "/" + std::to_string(kIpv6LimitPrefix);
}

bool Cidr::contains(const IpAddress& ip) const {
  if (ip.v4 != base.v4) return false;
  int offset = base.v4 ? 96 : 0;  // IPv4 prefixes count from the mapped address's last 4 bytes
  for (int bit = 0; bit < prefix; ++bit) {
    int b = offset + bit;
    uint8_t mask = static_cast<uint8_t>(0x80 >> (b % 8));
    if ((ip.bytes[b / 8] & mask) != (base.bytes[b / 8] & mask)) return false;
  }
  return true;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  Cidr c;
  c.base = *ip;
  int max = ip->v4 ? 32 : 128;
  c.prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    if (!all_digits(p, 3)) return std::nullopt;
    int n = std::stoi(std::string(p));
    // "::ffff:10.0.0.0/104" is written against the IPv6 form of an IPv4 range.
    if (ip->v4 && text.find(':') != std::string_view::npos) n -= 96;
    if (n < 0 || n > max) return std::nullopt;
    c.prefix = n;
  }
  int offset = ip->v4 ? 96 : 0;
  for (int b = offset + c.prefix; b < 128; ++b)
    c.base.bytes[b / 8] &= static_cast<uint8_t>(~(0x80 >> (b % 8)));
  return c;
}

Result<std::vector<Cidr>> parse_cidr_list(std::string_view text) {
  std::vector<Cidr> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ',' || is_ows(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && text[end] != ',' && !is_ows(text[end])) ++end;
    std::string_view item = text.substr(i, end - i);
    auto c = parse_cidr(item);
    if (!c)
      return make_error("bad_cidr",
                        "not an address range: " + std::string(item.substr(0, kMaxAddressText)));
    out.push_back(*c);
    i = end;
  }
  return out;
}

bool contains_any(const std::vector<Cidr>& ranges, const IpAddress& ip) {
  for (const auto& r : ranges) {
    if (r.contains(ip)) return true;
  }
  return false;
}

std::optional<std::vector<std::optional<IpAddress>>> parse_x_forwarded_for(
    std::string_view header) {
  std::vector<std::optional<IpAddress>> hops;
  size_t i = 0;
  while (i <= header.size()) {
    size_t comma = header.find(',', i);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = trim(header.substr(i, comma - i));
    if (!item.empty()) {
      if (hops.size() >= kMaxForwardedHops) return std::nullopt;
      hops.push_back(parse_hop(item));
    }
    i = comma + 1;
  }
  if (hops.empty()) return std::nullopt;
  return hops;
}

std::optional<std::vector<std::optional<IpAddress>>> parse_forwarded(std::string_view header) {
  return ForwardedParser(header).parse();
}

std::optional<IpAddress> client_address(std::string_view peer, const std::vector<Cidr>& trusted,
                                        std::string_view forwarded,
                                        std::string_view x_forwarded_for) {
  // A link-local peer may carry its interface ("fe80::1%eth0"); the zone is not part of it.
  auto peer_ip = parse_ip(peer.substr(0, peer.find('%')));
  if (!peer_ip || !contains_any(trusted, *peer_ip)) return peer_ip;
  // X-Forwarded-For is what common proxies append by default; Forwarded only counts without it.
  std::optional<std::vector<std::optional<IpAddress>>> hops;
  if (!trim(x_forwarded_for).empty()) {
    hops = parse_x_forwarded_for(x_forwarded_for);
  } else if (!trim(forwarded).empty()) {
    hops = parse_forwarded(forwarded);
  }
  if (!hops) return peer_ip;
  IpAddress current = *peer_ip;
  for (auto it = hops->rbegin(); it != hops->rend(); ++it) {
    // An entry that is no address: whoever is behind it cannot be told apart, so it counts as
    // the last trusted hop (fail closed: those clients share one budget).
    if (!*it) return current;
    current = **it;
    if (!contains_any(trusted, current)) return current;
  }
  return current;  // every hop is trusted: the client is inside the trusted ranges itself
}

}  // namespace ferry::server
