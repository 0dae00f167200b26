// Join links: "https://host/j/<room_id>?t=<join_token>#<secret>", also carried by the QR code.
//
//   origin  scheme://host[:port]. https, or http only for this device and the local network
//           (localhost, loopback and private addresses, single-label and .local/.lan names): a
//           page served over plain http to the internet could be altered to read the fragment.
//   path    /j/<room_id>        the server routes the request by it
//   query   ?t=<join_token>     lets the second peer into the room
//   fragment #<secret>          the link secret, the CPace password. Browsers never put the
//                               fragment in an HTTP request, so the server never sees it; it
//                               lives only in the two tabs and must never be logged or sent.
//            #pw                a password room's link: no secret at all; the person types the
//                               room's password (kPasswordFragment).
//
// Hosts: names, IPv4, and IPv6 literals in brackets ("http://[::1]:8080"), with optional port.
// Parsing is strict: no user info, no other path, query or fragment content, every identifier
// checked by its own parser (ids.h). Ferry served under a sub-path is not supported.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "session/ids.h"
#include "util/result.h"

namespace ferry::session {

// The fragment of a password room's link: it says "ask for the password", and is no secret.
inline constexpr std::string_view kPasswordFragment = "pw";

struct Link {
  std::string origin;  // normalised: lower-case scheme and host, default port removed
  RoomId room;
  JoinToken token;
  std::optional<LinkSecret> secret;  // none: a password room (the "#pw" link)
  bool needs_password() const { return !secret.has_value(); }
};

// Formats a link. `origin` is "scheme://host[:port]" without a trailing slash (for example the
// page's location.origin); it is normalised like parse_origin does and must be valid.
std::string format_link(std::string_view origin, const RoomId& room, const JoinToken& token,
                        const LinkSecret& secret);
// A password room's link: ".../j/<room>?t=<token>#pw", carrying no secret.
std::string format_password_link(std::string_view origin, const RoomId& room, const JoinToken& token);

// Parses a pasted or scanned link; surrounding whitespace is ignored. Error codes:
//   bad_link            not a link of this shape (the message says which part is wrong)
//   insecure_link       http:// to a host that is not local
//   missing_join_token  no "?t=..." part
//   missing_secret      no "#..." part (often a link cut short when copied)
//   bad_room_id, bad_join_token, bad_link_secret   from the identifier parsers
Result<Link> parse_link(std::string_view text);

// Validates and normalises "scheme://host[:port]" (errors bad_link, insecure_link).
Result<std::string> parse_origin(std::string_view origin);

// True for hosts where plain http is acceptable (see above). `host` is lower case; IPv6 in
// brackets.
bool is_local_host(std::string_view host);

}  // namespace ferry::session
