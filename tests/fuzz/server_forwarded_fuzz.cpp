// libFuzzer harness for what a client (or a proxy) says about addresses and origins
// (server/client_address.h, server/access_policy.h): X-Forwarded-For, Forwarded, CIDR lists,
// Origin and Host. The input is split at the first two NUL bytes into a forwarded header, an
// X-Forwarded-For header and an Origin; each is also parsed on its own. Properties: no crash,
// no exception; a client address, when given, is the peer or one of the hops the headers list;
// a limit key is never empty; an origin that normalizes normalizes to itself again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "access_policy.h"
#include "client_address.h"

namespace {

using namespace ferry::server;

bool listed(const std::optional<std::vector<std::optional<IpAddress>>>& hops, const IpAddress& ip) {
  if (!hops) return false;
  for (const auto& h : *hops) {
    if (h && *h == ip) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t a = in.find('\0');
  std::string_view forwarded = in.substr(0, a);
  std::string_view rest = a == std::string_view::npos ? std::string_view() : in.substr(a + 1);
  size_t b = rest.find('\0');
  std::string_view xff = rest.substr(0, b);
  std::string_view origin = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);

  static const std::vector<Cidr> kTrusted =
      parse_cidr_list("10.0.0.0/8 2001:db8::/32 127.0.0.1").value();
  const std::string peer = "10.0.0.2";
  auto c = client_address(peer, kTrusted, forwarded, xff);
  if (!c) std::abort();  // the peer is an address
  auto peer_ip = parse_ip(peer);
  auto fhops = parse_forwarded(forwarded);
  auto xhops = parse_x_forwarded_for(xff);
  if (!(*c == *peer_ip) && !listed(fhops, *c) && !listed(xhops, *c)) std::abort();
  if (limit_key(*c).empty()) std::abort();

  // Each part as an address, a CIDR list and an origin too.
  for (std::string_view part : {forwarded, xff, origin}) {
    if (auto ip = parse_ip(part)) {
      if (!parse_ip(to_string(*ip))) std::abort();
    }
    (void)parse_cidr_list(part);
    if (auto o = normalize_origin(part)) {
      auto again = normalize_origin(*o);
      if (!again || *again != *o) std::abort();
    }
  }
  (void)origin_allowed(origin, xff, {"https://app.example"});
  (void)metrics_allowed(c, origin, "token");
  return 0;
}
