// Join link formatting and strict parsing (see link.h).
#include "session/link.h"

#include <array>
#include <cassert>
#include <cstdint>
#include <optional>

namespace ferry::session {
namespace {

constexpr std::string_view kHttps = "https://";
constexpr std::string_view kHttp = "http://";
constexpr std::string_view kPathPrefix = "/j/";
constexpr std::string_view kQueryPrefix = "?t=";
// DNS limits (RFC 1035): 253 characters per name, 63 per label.
constexpr size_t kMaxHostChars = 253;
constexpr size_t kMaxLabelChars = 63;
// Longest textual IPv6 address ("ffff:...:255.255.255.255").
constexpr size_t kMaxIpv6Chars = 45;
// Longest link accepted, in characters: origin plus the fixed-size parts, with room to spare.
// Stops absurd input before any work is done on it.
constexpr size_t kMaxLinkChars = 512;

// Messages are written as sentence bodies; this makes them sentences.
std::string sentence(std::string message) {
  if (!message.empty() && message[0] >= 'a' && message[0] <= 'z') {
    message[0] = static_cast<char>(message[0] - 'a' + 'A');
  }
  if (!message.empty() && message.back() != '.') message += '.';
  return message;
}

Error bad_link(std::string message) {
  return make_error("bad_link", sentence(std::move(message)));
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Dotted-quad IPv4 ("10.0.0.1"), each part 0..255 without leading zeros.
std::optional<std::array<uint32_t, 4>> parse_ipv4(std::string_view s) {
  std::array<uint32_t, 4> out{};
  size_t part = 0;
  size_t i = 0;
  while (true) {
    const size_t start = i;
    uint32_t v = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 3) {
      v = v * 10 + static_cast<uint32_t>(s[i] - '0');
      ++i;
    }
    if (i == start || v > 255 || (i - start > 1 && s[start] == '0')) return std::nullopt;
    out[part++] = v;
    if (part == 4) return i == s.size() ? std::optional(out) : std::nullopt;
    if (i >= s.size() || s[i] != '.') return std::nullopt;
    ++i;
  }
}

Status check_reg_name(std::string_view host) {
  if (host.size() > kMaxHostChars) return bad_link("the host name in the link is too long");
  size_t label_start = 0;
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      const std::string_view label = host.substr(label_start, i - label_start);
      if (label.empty()) return bad_link("the host name in the link has an empty part");
      if (label.size() > kMaxLabelChars) return bad_link("the host name in the link is too long");
      if (label.front() == '-' || label.back() == '-') {
        return bad_link("a part of the host name in the link starts or ends with '-'");
      }
      label_start = i + 1;
    } else if (!is_alnum(host[i]) && host[i] != '-') {
      return bad_link("the host name in the link contains '" + std::string(1, host[i]) + "'");
    }
  }
  return Ok{};
}

Status check_ipv6(std::string_view inside) {
  if (inside.empty() || inside.size() > kMaxIpv6Chars) {
    return bad_link("the IPv6 address in the link is not valid");
  }
  size_t colons = 0;
  for (char c : inside) {
    if (c == ':') {
      ++colons;
    } else if (!is_hex(c) && c != '.') {
      return bad_link("the IPv6 address in the link contains '" + std::string(1, c) + "'");
    }
  }
  if (colons < 2 || colons > 7) return bad_link("the IPv6 address in the link is not valid");
  return Ok{};
}

}  // namespace

bool is_local_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    const std::string_view ip = host.substr(1, host.size() - 2);
    if (ip == "::1") return true;
    // fc00::/7 unique local, fe80::/10 link-local.
    if (ip.size() >= 2 && ip[0] == 'f' && (ip[1] == 'c' || ip[1] == 'd')) return true;
    if (ip.size() >= 3 && ip[0] == 'f' && ip[1] == 'e' &&
        (ip[2] == '8' || ip[2] == '9' || ip[2] == 'a' || ip[2] == 'b')) {
      return true;
    }
    return false;
  }
  if (auto v4 = parse_ipv4(host)) {
    const auto& a = *v4;
    return a[0] == 127 || a[0] == 10 || (a[0] == 172 && a[1] >= 16 && a[1] <= 31) ||
           (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
  }
  if (host.find('.') == std::string_view::npos) return true;  // "localhost", "nas": not public
  return ends_with(host, ".localhost") || ends_with(host, ".local") || ends_with(host, ".lan") ||
         ends_with(host, ".home.arpa") || ends_with(host, ".internal");
}

Result<std::string> parse_origin(std::string_view origin) {
  std::string scheme;
  if (starts_with_nocase(origin, kHttps)) {
    scheme = "https";
    origin.remove_prefix(kHttps.size());
  } else if (starts_with_nocase(origin, kHttp)) {
    scheme = "http";
    origin.remove_prefix(kHttp.size());
  } else {
    return bad_link("a link must start with https://");
  }
  if (origin.find('@') != std::string_view::npos) {
    return bad_link("the link contains a user name ('@'), which Ferry links never have");
  }
  std::string host;
  std::string_view rest;
  if (!origin.empty() && origin.front() == '[') {
    const size_t close = origin.find(']');
    if (close == std::string_view::npos) return bad_link("the IPv6 address in the link has no ']'");
    auto st = check_ipv6(origin.substr(1, close - 1));
    if (!st) return st.error();
    host = to_lower(origin.substr(0, close + 1));
    rest = origin.substr(close + 1);
  } else {
    const size_t colon = origin.find(':');
    const std::string_view name = origin.substr(0, colon);
    if (name.empty()) return bad_link("the link has no host name");
    auto st = check_reg_name(name);
    if (!st) return st.error();
    host = to_lower(name);
    rest = colon == std::string_view::npos ? std::string_view() : origin.substr(colon);
  }
  std::string port;
  if (!rest.empty()) {
    if (rest.front() != ':') return bad_link("unexpected text after the host name in the link");
    const std::string_view digits = rest.substr(1);
    if (digits.empty() || digits.size() > 5) return bad_link("the port in the link is not valid");
    uint32_t value = 0;
    for (char c : digits) {
      if (!is_digit(c)) return bad_link("the port in the link is not a number");
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535 || digits.front() == '0') {
      return bad_link("the port in the link is not valid");
    }
    // Browsers leave default ports out of location.origin; do the same so origins compare.
    if (!((scheme == "https" && value == 443) || (scheme == "http" && value == 80))) {
      port = ":" + std::to_string(value);
    }
  }
  if (scheme == "http" && !is_local_host(host)) {
    return make_error("insecure_link",
                      "Plain http:// links are accepted only for this device or the local "
                      "network; a link to " +
                          host + " must start with https://.");
  }
  return scheme + "://" + host + port;
}

std::string format_link(std::string_view origin, const RoomId& room, const JoinToken& token,
                        const LinkSecret& secret) {
  auto normalised = parse_origin(origin);
  assert(normalised.ok());  // the page's own origin, or a configured one: checked upstream
  return normalised.value() + std::string(kPathPrefix) + room.str() + std::string(kQueryPrefix) +
         token.str() + "#" + secret.str();
}

std::string format_password_link(std::string_view origin, const RoomId& room, const JoinToken& token) {
  auto normalised = parse_origin(origin);
  assert(normalised.ok());
  return normalised.value() + std::string(kPathPrefix) + room.str() + std::string(kQueryPrefix) +
         token.str() + "#" + std::string(kPasswordFragment);
}

Result<Link> parse_link(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.empty()) return bad_link("the link is empty");
  if (text.size() > kMaxLinkChars) return bad_link("the link is too long to be a Ferry link");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return bad_link("the link contains a space or a character that Ferry links never have");
    }
  }

  const size_t hash = text.find('#');
  const std::string_view before_fragment = text.substr(0, hash);
  const std::string_view fragment =
      hash == std::string_view::npos ? std::string_view() : text.substr(hash + 1);

  // The origin ends where the path starts: the first '/' after "scheme://".
  const size_t scheme_end = before_fragment.find("://");
  if (scheme_end == std::string_view::npos) return bad_link("a link must start with https://");
  const size_t path_start = before_fragment.find_first_of("/?", scheme_end + 3);
  auto origin = parse_origin(before_fragment.substr(0, path_start));
  if (!origin) return origin.error();
  if (path_start == std::string_view::npos) return bad_link("the link has no /j/<room> path");

  const std::string_view after_origin = before_fragment.substr(path_start);
  if (after_origin.substr(0, kPathPrefix.size()) != kPathPrefix) {
    return bad_link("the link's path must be /j/<room>");
  }
  const std::string_view path_and_query = after_origin.substr(kPathPrefix.size());
  const size_t query_start = path_and_query.find('?');
  const std::string_view room_text = path_and_query.substr(0, query_start);
  if (room_text.find('/') != std::string_view::npos) {
    return bad_link("the link's path has extra parts after the room");
  }
  auto room = RoomId::parse(room_text);
  if (!room) return room.error();

  if (query_start == std::string_view::npos) {
    return make_error("missing_join_token", "The link has no ?t= part; copy the whole link again.");
  }
  const std::string_view query = path_and_query.substr(query_start);
  if (query.substr(0, kQueryPrefix.size()) != kQueryPrefix) {
    return bad_link("the link's query must be ?t=<token>");
  }
  const std::string_view token_text = query.substr(kQueryPrefix.size());
  if (token_text.find_first_of("&=?") != std::string_view::npos) {
    return bad_link("the link's query has extra parts after the token");
  }
  auto token = JoinToken::parse(token_text);
  if (!token) return token.error();

  if (hash == std::string_view::npos || fragment.empty()) {
    return make_error("missing_secret",
                      "The link has no #secret at its end; it was probably cut short when "
                      "copied, so copy the whole link again.");
  }
  if (fragment == kPasswordFragment) {
    return Link{std::move(origin).value(), std::move(room).value(), std::move(token).value(), std::nullopt};
  }
  auto secret = LinkSecret::parse(fragment);
  if (!secret) return secret.error();

  return Link{std::move(origin).value(), std::move(room).value(), std::move(token).value(),
              std::move(secret).value()};
}

}  // namespace ferry::session
