// Origin and /metrics access decisions (see access_policy.h).
#include "access_policy.h"

#include <sodium.h>

#include <array>

namespace ferry::server {
namespace {

// An Origin is a scheme and a host name: a few hundred characters at most (DNS names stop at 253).
constexpr size_t kMaxOriginText = 512;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '[' ||
         c == ']' || c == ':' || c == '_';
}

// host[:port] split; the port digits only (empty when none). False on a malformed authority.
bool split_authority(std::string_view a, std::string& host, std::string& port) {
  if (a.empty()) return false;
  size_t colon;
  if (a.front() == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(a.substr(0, close + 1));
    std::string_view rest = a.substr(close + 1);
    if (rest.empty()) {
      port.clear();
      return true;
    }
    if (rest.front() != ':') return false;
    port = std::string(rest.substr(1));
  } else {
    colon = a.find(':');
    host = std::string(a.substr(0, colon));
    port = colon == std::string_view::npos ? "" : std::string(a.substr(colon + 1));
    if (host.find(':') != std::string::npos || port.find(':') != std::string::npos) return false;
  }
  if (host.empty() || host == "[]") return false;
  for (char c : host) {
    if (!is_host_char(c)) return false;
  }
  if (port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view default_port(std::string_view scheme) {
  return scheme == "https" ? "443" : "80";
}

using Hash = std::array<unsigned char, 32>;
Hash hash(std::string_view s) {
  Hash h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                     nullptr, 0);
  return h;
}

}  // namespace

std::optional<std::string> normalize_origin(std::string_view origin) {
  if (origin.size() > kMaxOriginText) return std::nullopt;
  std::string o = lower(origin);
  auto sep = o.find("://");
  if (sep == std::string::npos) return std::nullopt;
  std::string scheme = o.substr(0, sep);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string host, port;
  if (!split_authority(std::string_view(o).substr(sep + 3), host, port)) return std::nullopt;
  std::string out = scheme + "://" + host;
  if (!port.empty() && port != default_port(scheme)) out += ":" + port;
  return out;
}

bool origin_allowed(const std::optional<std::string_view>& origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
  if (!origin) return true;  // not a browser page
  auto o = normalize_origin(*origin);
  if (!o) return false;  // "null" (sandboxed frames, file:) and garbage
  for (const auto& a : allowed) {
    if (*o == a) return true;
  }
  // The server's own origin: the page was loaded from this Host. The scheme is not compared: a
  // TLS-terminating proxy talks plain HTTP to this server for an https page.
  auto sep = o->find("://");
  std::string scheme = o->substr(0, sep);
  std::string ohost, oport, hhost, hport;
  if (!split_authority(std::string_view(*o).substr(sep + 3), ohost, oport)) return false;
  if (!split_authority(lower(host), hhost, hport)) return false;
  if (oport.empty()) oport = default_port(scheme);
  if (hport.empty()) hport = default_port(scheme);
  return ohost == hhost && oport == hport;
}

bool metrics_allowed(const std::optional<IpAddress>& client, std::string_view authorization,
                     const std::string& token) {
  if (client && is_loopback(*client)) return true;
  if (token.empty()) return false;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.substr(0, kBearer.size()) != kBearer)
    return false;
  // Hashes of equal length, compared in constant time: neither the token's length nor its
  // prefix leaks through the time a refusal takes.
  Hash given = hash(authorization.substr(kBearer.size()));
  Hash want = hash(token);
  return sodium_memcmp(given.data(), want.data(), given.size()) == 0;
}

}  // namespace ferry::server
