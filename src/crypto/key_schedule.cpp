// Session key schedule and explicit key confirmation. See key_schedule.h.
#include "crypto/key_schedule.h"

#include <sodium.h>

#include <string_view>

#include "crypto/sodium_init.h"

namespace ferry::crypto {
namespace {

static_assert(kConfirmTagBytes == crypto_auth_BYTES);
static_assert(kKeyBytes == crypto_auth_KEYBYTES);

// Domain label for the master key, so the ISK is never used directly as a key.
constexpr std::string_view kMasterLabel = "ferry-master-v1";
// crypto_kdf context (exactly 8 characters) for all session subkeys.
constexpr char kSessionKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "ferrykey";
// Label at the start of each confirmation message; versioned with the protocol.
constexpr std::string_view kConfirmLabel = "ferry-confirm-v1";

// Subkey ids. Stable: changing one breaks interoperability between versions.
enum SubkeyId : uint64_t {
  kSignalAtoB = 1,
  kSignalBtoA = 2,
  kDataAtoB = 3,
  kDataBtoA = 4,
  kConfirmA = 5,
  kConfirmB = 6,
  kSas = 7,
};

SecretKey subkey(const SecretKey& master, uint64_t id) {
  SecretKey out;
  crypto_kdf_derive_from_key(out.data(), kKeyBytes, id, kSessionKdfContext, master.data());
  return out;
}

uint8_t role_byte(Role r) {
  return r == Role::Initiator ? 'A' : 'B';
}

Bytes confirm_message(Role sender, ByteView transcript) {
  Bytes m(kConfirmLabel.begin(), kConfirmLabel.end());
  m.push_back(role_byte(sender));
  m.insert(m.end(), transcript.begin(), transcript.end());
  return m;
}

Role other(Role r) {
  return r == Role::Initiator ? Role::Responder : Role::Initiator;
}

}  // namespace

SessionKeys derive_session_keys(const Isk& isk, Role role) {
  ensure_sodium_init();
  SecretKey master;
  static_assert(kIskBytes <= crypto_generichash_KEYBYTES_MAX);
  crypto_generichash(master.data(), kKeyBytes,
                     reinterpret_cast<const uint8_t*>(kMasterLabel.data()), kMasterLabel.size(),
                     isk.bytes.data(), isk.bytes.size());
  const bool a = role == Role::Initiator;
  SessionKeys k;
  k.role = role;
  k.send_signal = subkey(master, a ? kSignalAtoB : kSignalBtoA);
  k.recv_signal = subkey(master, a ? kSignalBtoA : kSignalAtoB);
  k.send_data = subkey(master, a ? kDataAtoB : kDataBtoA);
  k.recv_data = subkey(master, a ? kDataBtoA : kDataAtoB);
  k.confirm_mine = subkey(master, a ? kConfirmA : kConfirmB);
  k.confirm_peer = subkey(master, a ? kConfirmB : kConfirmA);
  k.sas = subkey(master, kSas);
  return k;  // master is wiped by its destructor
}

ConfirmTag confirm_tag(const SessionKeys& keys, ByteView transcript) {
  ensure_sodium_init();
  const Bytes m = confirm_message(keys.role, transcript);
  ConfirmTag tag{};
  crypto_auth(tag.data(), m.data(), m.size(), keys.confirm_mine.data());
  return tag;
}

Status verify_peer_confirm(const SessionKeys& keys, ByteView transcript, ByteView peer_tag) {
  ensure_sodium_init();
  const Bytes m = confirm_message(other(keys.role), transcript);
  if (peer_tag.size() != kConfirmTagBytes ||
      crypto_auth_verify(peer_tag.data(), m.data(), m.size(), keys.confirm_peer.data()) != 0) {
    return make_error("bad_confirm",
                      "Key confirmation failed: the code or password did not match.");
  }
  return Ok{};
}

}  // namespace ferry::crypto
