// Control message codec and sealing; see control.h for the layout and the replay rules.
#include "transfer/control.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <string>

#include "transfer/byte_reader.h"

namespace ferry::transfer {
namespace {

// A part's flags byte.
constexpr uint8_t kPartLast = 1;
constexpr uint8_t kPartFirst = 2;

static_assert(kMaxChunkBytes == protocol::kMaxChunkPlaintextBytes,
              "the manifest and frame limits on chunk size must agree");
static_assert(protocol::kSealOverheadBytes == crypto::sealed_chunk_size(0),
              "frame limits must match the chunk AEAD's overhead");

uint32_t control_file_id(protocol::Origin origin) {
  return origin == protocol::Origin::kSender ? kSenderControlFileId : kReceiverControlFileId;
}

void put_string16(Bytes& out, const std::string& s, size_t max) {
  const size_t n = std::min(s.size(), max);
  put_u16(out, static_cast<uint16_t>(n));
  out.insert(out.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}

struct BodyEncoder {
  Bytes& out;
  void operator()(const Manifest& m) {
    out.push_back(static_cast<uint8_t>(ControlKind::kManifest));
    Bytes body = encode_manifest(m);
    out.insert(out.end(), body.begin(), body.end());
  }
  void operator()(const FileEndMsg& m) {
    out.push_back(static_cast<uint8_t>(ControlKind::kFileEnd));
    put_u32(out, m.file_id);
    out.insert(out.end(), m.hash.begin(), m.hash.end());
  }
  void operator()(const HaveMsg& m) {
    out.push_back(static_cast<uint8_t>(ControlKind::kHave));
    put_u32(out, static_cast<uint32_t>(m.files.size()));
    for (const auto& f : m.files) {
      put_u32(out, f.file_id);
      put_u32(out, static_cast<uint32_t>(f.runs.size()));
      for (const auto& run : f.runs) {
        put_u64(out, run.start);
        put_u64(out, run.count);
      }
    }
  }
  void operator()(const PauseMsg&) { out.push_back(static_cast<uint8_t>(ControlKind::kPause)); }
  void operator()(const ResumeMsg&) { out.push_back(static_cast<uint8_t>(ControlKind::kResume)); }
  void operator()(const CancelMsg&) { out.push_back(static_cast<uint8_t>(ControlKind::kCancel)); }
  void operator()(const CompleteMsg& m) {
    out.push_back(static_cast<uint8_t>(ControlKind::kComplete));
    put_u32(out, static_cast<uint32_t>(m.files.size()));
    for (const auto& f : m.files) {
      put_u32(out, f.file_id);
      out.push_back(f.ok ? 1 : 0);
    }
  }
  void operator()(const ErrorMsg& m) {
    out.push_back(static_cast<uint8_t>(ControlKind::kError));
    put_string16(out, m.code, kMaxErrorCodeBytes);
    put_string16(out, m.message, kMaxErrorMessageBytes);
  }
  void operator()(const WindowMsg& m) {
    out.push_back(static_cast<uint8_t>(ControlKind::kWindow));
    put_u64(out, m.credit);
  }
  void operator()(const AcceptMsg& m) {
    out.push_back(static_cast<uint8_t>(ControlKind::kAccept));
    put_u32(out, static_cast<uint32_t>(m.file_ids.size()));
    for (const uint32_t id : m.file_ids) put_u32(out, id);
  }
};

Error truncated() { return make_error("truncated", "control message is truncated"); }

}  // namespace

Bytes encode_control(const ControlMessage& message) {
  Bytes out(message.epoch.begin(), message.epoch.end());
  std::visit(BodyEncoder{out}, message.body);
  return out;
}

Result<ControlMessage> parse_control(ByteView bytes) {
  ByteReader r(bytes);
  ControlMessage msg;
  ByteView epoch = r.view(kEpochBytes);
  const uint8_t kind = r.u8();
  if (!r.ok()) return truncated();
  std::copy(epoch.begin(), epoch.end(), msg.epoch.begin());
  switch (static_cast<ControlKind>(kind)) {
    case ControlKind::kManifest: {
      auto m = parse_manifest(r.view(r.remaining()));
      if (!m) return m.error();
      msg.body = std::move(m).value();
      return msg;
    }
    case ControlKind::kFileEnd: {
      FileEndMsg m;
      m.file_id = r.u32();
      ByteView h = r.view(m.hash.size());
      if (!r.ok()) return truncated();
      std::copy(h.begin(), h.end(), m.hash.begin());
      msg.body = m;
      break;
    }
    case ControlKind::kHave: {
      HaveMsg m;
      const uint32_t files = r.u32();
      if (!r.ok()) return truncated();
      if (files > kMaxManifestFiles) return make_error("bad_have", "have-map lists too many files");
      size_t total_runs = 0;
      for (uint32_t i = 0; i < files; ++i) {
        FileHave f;
        f.file_id = r.u32();
        const uint32_t runs = r.u32();
        if (!r.ok()) return truncated();
        total_runs += runs;
        if (total_runs > kMaxHaveRuns) return make_error("bad_have", "have-map has too many runs");
        if (r.remaining() < size_t{runs} * 16) return truncated();
        for (uint32_t k = 0; k < runs; ++k) {
          ChunkRun run;
          run.start = r.u64();
          run.count = r.u64();
          f.runs.push_back(run);
        }
        m.files.push_back(std::move(f));
      }
      msg.body = std::move(m);
      break;
    }
    case ControlKind::kPause: msg.body = PauseMsg{}; break;
    case ControlKind::kResume: msg.body = ResumeMsg{}; break;
    case ControlKind::kCancel: msg.body = CancelMsg{}; break;
    case ControlKind::kComplete: {
      CompleteMsg m;
      const uint32_t files = r.u32();
      if (!r.ok()) return truncated();
      if (files > kMaxManifestFiles) return make_error("bad_complete", "too many files");
      for (uint32_t i = 0; i < files; ++i) {
        FileResult f;
        f.file_id = r.u32();
        const uint8_t ok = r.u8();
        if (ok > 1) return make_error("bad_complete", "unknown file result");
        f.ok = ok == 1;
        m.files.push_back(f);
      }
      msg.body = std::move(m);
      break;
    }
    case ControlKind::kError: {
      ErrorMsg m;
      const uint16_t code_len = r.u16();
      if (code_len > kMaxErrorCodeBytes) return make_error("bad_error", "error code too long");
      m.code = r.str(code_len);
      const uint16_t msg_len = r.u16();
      if (msg_len > kMaxErrorMessageBytes) return make_error("bad_error", "error text too long");
      m.message = r.str(msg_len);
      msg.body = std::move(m);
      break;
    }
    case ControlKind::kWindow: msg.body = WindowMsg{r.u64()}; break;
    case ControlKind::kAccept: {
      AcceptMsg m;
      const uint32_t files = r.u32();
      if (!r.ok()) return truncated();
      if (files > kMaxManifestFiles) return make_error("bad_accept", "the answer lists too many files");
      if (r.remaining() < size_t{files} * 4) return truncated();
      for (uint32_t i = 0; i < files; ++i) {
        const uint32_t id = r.u32();
        // Strictly ascending: one encoding per answer, no file named twice.
        if (!m.file_ids.empty() && id <= m.file_ids.back()) {
          return make_error("bad_accept", "the answer lists files out of order or twice");
        }
        m.file_ids.push_back(id);
      }
      msg.body = std::move(m);
      break;
    }
    default:
      return make_error("unknown_control", "unknown control message kind " + std::to_string(kind));
  }
  if (!r.ok()) return truncated();
  if (!r.at_end()) return make_error("trailing_bytes", "unexpected bytes after a control message");
  return msg;
}

ControlSealer::ControlSealer(const crypto::SecretKey& data_key, uint32_t transfer_id,
                             protocol::Origin origin, uint64_t last_seq)
    : key_(crypto::derive_file_key(data_key, transfer_id, control_file_id(origin))),
      transfer_id_(transfer_id),
      origin_(origin),
      seq_(last_seq) {}

std::vector<Bytes> ControlSealer::seal(const ControlMessage& message, const RandomFn& rng) {
  const auto sealed = [&](ByteView body) {
    protocol::ControlFrame frame;
    frame.transfer_id = transfer_id_;
    frame.origin = origin_;
    frame.seq = ++seq_;
    assert(crypto::sealed_chunk_size(body.size()) <= protocol::kMaxPayloadBytes);
    crypto::seal_chunk(frame.payload, key_,
                       crypto::ChunkId{transfer_id_, control_file_id(origin_), frame.seq, false},
                       body, rng);
    return protocol::encode(frame);
  };
  const Bytes body = encode_control(message);
  std::vector<Bytes> frames;
  if (body.size() <= kControlPartBytes) {
    frames.push_back(sealed(body));
    return frames;
  }
  assert(body.size() <= kMaxControlMessageBytes);
  for (size_t at = 0; at < body.size(); at += kControlPartBytes) {
    const size_t n = std::min(kControlPartBytes, body.size() - at);
    Bytes part(message.epoch.begin(), message.epoch.end());
    part.push_back(static_cast<uint8_t>(ControlKind::kPart));
    part.push_back(static_cast<uint8_t>((at == 0 ? kPartFirst : 0) | (at + n == body.size() ? kPartLast : 0)));
    part.insert(part.end(), body.begin() + static_cast<std::ptrdiff_t>(at),
                body.begin() + static_cast<std::ptrdiff_t>(at + n));
    frames.push_back(sealed(part));
  }
  return frames;
}

ControlOpener::ControlOpener(const crypto::SecretKey& data_key, uint32_t transfer_id,
                             protocol::Origin origin)
    : key_(crypto::derive_file_key(data_key, transfer_id, control_file_id(origin))),
      transfer_id_(transfer_id),
      origin_(origin) {}

void ControlOpener::drop_parts() {
  sodium_memzero(assembled_.data(), assembled_.size());
  assembled_.clear();
  assembled_.shrink_to_fit();
  assembling_ = false;
}

Result<std::optional<ControlMessage>> ControlOpener::open(const protocol::ControlFrame& frame,
                                                          const Epoch* epoch) {
  if (frame.transfer_id != transfer_id_) {
    return make_error("wrong_transfer", "control message for another transfer");
  }
  if (frame.origin != origin_) {
    return make_error("wrong_origin", "control message from the wrong side of the transfer");
  }
  Bytes plain;
  auto opened = crypto::open_chunk(
      plain, key_, crypto::ChunkId{transfer_id_, control_file_id(origin_), frame.seq, false},
      frame.payload);
  if (!opened) {
    return make_error("bad_mac", "a control message failed authentication and was dropped");
  }
  if (frame.seq <= last_seq_) {
    return make_error("replay", "a replayed or reordered control message was dropped");
  }
  const auto wipe = [](Bytes& b) {
    sodium_memzero(b.data(), b.size());
    b.clear();
  };
  // A message in parts: assembled first, parsed and checked whole below.
  constexpr size_t kPartHeaderBytes = kEpochBytes + 2;
  if (plain.size() > kEpochBytes && plain[kEpochBytes] == static_cast<uint8_t>(ControlKind::kPart)) {
    Epoch part_epoch{};
    std::copy(plain.begin(), plain.begin() + kEpochBytes, part_epoch.begin());
    const uint8_t flags = plain.size() > kEpochBytes + 1 ? plain[kEpochBytes + 1] : 0xFF;
    const bool first = (flags & kPartFirst) != 0;
    const bool last = (flags & kPartLast) != 0;
    if (first) {  // a new message: whatever an earlier connection left unfinished is dropped
      wipe(assembled_);
      assembling_ = false;
    }
    const bool bad = plain.size() <= kPartHeaderBytes || flags > (kPartFirst | kPartLast) ||
                     (!first && (!assembling_ || part_epoch != assembled_epoch_));
    if (bad) {
      wipe(plain);
      wipe(assembled_);
      assembling_ = false;
      return make_error("bad_part", "a malformed part of a control message was dropped");
    }
    if (assembled_.size() + plain.size() - kPartHeaderBytes > kMaxControlMessageBytes) {
      wipe(plain);
      wipe(assembled_);
      assembling_ = false;
      return make_error("control_too_large", "a control message in parts is too large");
    }
    last_seq_ = frame.seq;
    assembling_ = true;
    assembled_epoch_ = part_epoch;
    assembled_.insert(assembled_.end(), plain.begin() + kPartHeaderBytes, plain.end());
    wipe(plain);
    if (!last) return std::optional<ControlMessage>();
    plain = std::move(assembled_);
    assembled_.clear();
    assembling_ = false;
    // The whole must carry the epoch its parts did (and cannot itself be a part).
    if (plain.size() <= kEpochBytes || !std::equal(part_epoch.begin(), part_epoch.end(), plain.begin()) ||
        plain[kEpochBytes] == static_cast<uint8_t>(ControlKind::kPart)) {
      wipe(plain);
      return make_error("bad_part", "the parts of a control message do not make one");
    }
  } else if (assembling_) {
    // A whole message while parts were expected: the parts were not all sent (the writer was
    // rebuilt); what was assembled is dropped and the message is taken on its own.
    wipe(assembled_);
    assembling_ = false;
  }
  auto msg = parse_control(plain);
  wipe(plain);
  if (!msg) return msg.error();
  if (epoch != nullptr && msg->epoch != *epoch &&
      !std::holds_alternative<Manifest>(msg->body)) {
    return make_error("wrong_epoch", "a control message from an earlier connection was dropped");
  }
  last_seq_ = frame.seq;
  return std::optional<ControlMessage>(std::move(msg).value());
}

}  // namespace ferry::transfer
