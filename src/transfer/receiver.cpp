// Receiver state machine; see receiver.h for the states, the hashing and the resume rules.
#include "transfer/receiver.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "transfer/byte_reader.h"

namespace ferry::transfer {

const char* to_string(Receiver::State state) {
  switch (state) {
    case Receiver::State::kAwaitingManifest: return "awaiting_manifest";
    case Receiver::State::kAwaitingAccept: return "awaiting_accept";
    case Receiver::State::kDeclined: return "declined";
    case Receiver::State::kReceiving: return "receiving";
    case Receiver::State::kComplete: return "complete";
    case Receiver::State::kCancelled: return "cancelled";
    case Receiver::State::kFailed: return "failed";
  }
  return "?";
}

namespace {

// First byte of persist(): bumped when its layout changes, so an old blob is refused cleanly.
constexpr uint8_t kPersistVersion = 3;  // 3: the manifest carries folder paths
// Per-file flag in persist(): the file was not accepted.
constexpr uint8_t kPersistSkipped = 1;

bool over(Receiver::State s) {
  return s == Receiver::State::kCancelled || s == Receiver::State::kFailed ||
         s == Receiver::State::kDeclined;
}

void reject(std::vector<Command>& out, std::string code, std::string message) {
  out.push_back(cmd::Failure{make_error(std::move(code), std::move(message)), false});
}

}  // namespace

Receiver::Receiver(const crypto::SecretKey& receive_key, uint32_t transfer_id, RandomFn rng,
                   uint64_t window_bytes, uint64_t reorder_bytes)
    : key_(receive_key),
      transfer_id_(transfer_id),
      rng_(std::move(rng)),
      sealer_(receive_key, transfer_id, protocol::Origin::kReceiver),
      opener_(receive_key, transfer_id, protocol::Origin::kSender),
      window_(window_bytes),
      reorder_limit_(reorder_bytes) {
  assert(window_bytes >= kMinReceiveWindowBytes);
}

void Receiver::drop_ahead() {
  for (auto& f : files_) {
    for (auto& [index, bytes] : f.ahead) sodium_memzero(bytes.data(), bytes.size());
    f.ahead.clear();
  }
  ahead_bytes_ = 0;
}

Bytes Receiver::persist() const {
  Bytes out;
  out.push_back(kPersistVersion);
  put_u32(out, transfer_id_);
  if (!manifest_) {
    put_u32(out, 0);
    return out;
  }
  const Bytes m = encode_manifest(*manifest_);
  put_u32(out, static_cast<uint32_t>(m.size()));
  out.insert(out.end(), m.begin(), m.end());
  out.push_back(accepted_ ? 1 : 0);
  for (const auto& f : files_) {
    out.push_back(f.state == FileState::kSkipped ? kPersistSkipped : 0);
    const Bytes h = f.have.serialize();
    put_u32(out, static_cast<uint32_t>(h.size()));
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

void Receiver::rekey(const crypto::SecretKey& receive_key) {
  key_ = receive_key;
  // The numbering continues, so the sender's opener never sees a seq it accepted before.
  sealer_ = ControlSealer(receive_key, transfer_id_, protocol::Origin::kReceiver, sealer_.last_seq());
  opener_ = ControlOpener(receive_key, transfer_id_, protocol::Origin::kSender);
  epoch_.reset();
  if (!manifest_) return;
  for (size_t i = 0; i < files_.size(); ++i) {
    files_[i].key = crypto::derive_file_key(receive_key, transfer_id_, manifest_->files[i].id);
  }
}

Result<Receiver> Receiver::restore(const crypto::SecretKey& receive_key, ByteView persisted,
                                   RandomFn rng, uint64_t window_bytes) {
  ByteReader r(persisted);
  const uint8_t version = r.u8();
  const uint32_t transfer_id = r.u32();
  const uint32_t manifest_len = r.u32();
  if (!r.ok()) return make_error("bad_resume_state", "saved transfer state is truncated");
  if (version != kPersistVersion) {
    return make_error("bad_resume_state", "saved transfer state has an unknown version");
  }
  Receiver rx(receive_key, transfer_id, std::move(rng), window_bytes);
  if (manifest_len == 0) {
    if (!r.at_end()) return make_error("bad_resume_state", "saved transfer state is malformed");
    return rx;
  }
  if (manifest_len > r.remaining()) {
    return make_error("bad_resume_state", "saved transfer state is truncated");
  }
  auto m = parse_manifest(r.view(manifest_len));
  if (!m) return make_error("bad_resume_state", "saved manifest: " + m.error().message);
  const uint8_t accepted = r.u8();
  if (!r.ok() || accepted > 1) return make_error("bad_resume_state", "saved answer is malformed");
  rx.accepted_ = accepted == 1;
  for (const auto& e : m->files) {
    const uint8_t flags = r.u8();
    if (flags > kPersistSkipped || (flags != 0 && !rx.accepted_)) {
      return make_error("bad_resume_state", "saved file flags are malformed");
    }
    const uint32_t len = r.u32();
    if (!r.ok() || len > r.remaining()) {
      return make_error("bad_resume_state", "saved transfer state is truncated");
    }
    auto have = HaveMap::parse(r.view(len));
    if (!have || have->chunk_count() != chunk_count(e.size, m->chunk_size)) {
      return make_error("bad_resume_state", "saved have-map does not match its file");
    }
    FileRecv f;
    f.have = std::move(have).value();
    f.key = crypto::derive_file_key(receive_key, transfer_id, e.id);
    if (flags == kPersistSkipped) f.state = FileState::kSkipped;
    rx.files_.push_back(std::move(f));
  }
  if (!r.at_end()) return make_error("bad_resume_state", "saved transfer state is malformed");
  rx.manifest_ = std::move(m).value();
  return rx;
}

size_t Receiver::file_index(uint32_t file_id) const {
  if (!manifest_) return SIZE_MAX;
  for (size_t i = 0; i < manifest_->files.size(); ++i) {
    if (manifest_->files[i].id == file_id) return i;
  }
  return SIZE_MAX;
}

const HaveMap* Receiver::have_map(uint32_t file_id) const {
  const size_t i = file_index(file_id);
  return i == SIZE_MAX ? nullptr : &files_[i].have;
}

void Receiver::send(ControlBody body, std::vector<Command>& out) {
  assert(epoch_);
  for (auto& frame : sealer_.seal(ControlMessage{*epoch_, std::move(body)}, rng_)) {
    out.push_back(cmd::Send{std::move(frame)});
  }
}

void Receiver::fail(Error error, std::vector<Command>& out) {
  if (epoch_ && error.code != "peer_error") send(ErrorMsg{error.code, error.message}, out);
  state_ = State::kFailed;
  drop_ahead();
  out.push_back(cmd::Failure{std::move(error), true});
}

std::vector<Command> Receiver::on_frame(const protocol::Frame& frame) {
  std::vector<Command> out;
  if (state_ == State::kCancelled || state_ == State::kFailed) return out;
  if (state_ == State::kDeclined && std::holds_alternative<protocol::ChunkFrame>(frame)) return out;
  if (const auto* chunk = std::get_if<protocol::ChunkFrame>(&frame)) {
    on_chunk(*chunk, out);
  } else {
    const auto& control = std::get<protocol::ControlFrame>(frame);
    if (control.origin != protocol::Origin::kSender) {
      reject(out, "unexpected_frame", "the receiver got a frame meant for a sender");
    } else {
      on_control(control, out);
    }
  }
  return out;
}

void Receiver::on_chunk(const protocol::ChunkFrame& frame, std::vector<Command>& out) {
  // The owning form (tests, fuzzing): the same checks in place on a copy, and the written bytes
  // copied out of it.
  Bytes payload = frame.payload;
  const size_t first = out.size();
  on_chunk(protocol::ChunkView{frame.transfer_id, frame.file_id, frame.index, frame.last, payload}, out);
  for (size_t i = first; i < out.size(); ++i) {
    if (auto* w = std::get_if<cmd::WriteInPlace>(&out[i])) {
      out[i] = cmd::Write{w->file_id, w->offset, Bytes(w->bytes.begin(), w->bytes.end())};
    }
  }
}

std::vector<Command> Receiver::on_chunk_in_place(const protocol::ChunkView& frame) {
  std::vector<Command> out;
  if (over(state_)) return out;
  on_chunk(frame, out);
  return out;
}

void Receiver::on_chunk(const protocol::ChunkView& frame, std::vector<Command>& out) {
  if (state_ == State::kComplete) return;  // late duplicates after the end
  if (state_ == State::kAwaitingAccept) {
    // Dropped unopened: nothing is written before the person accepts, and an honest sender
    // sends nothing before ACCEPT and credit.
    return reject(out, "not_accepted", "a chunk arrived before the transfer was accepted and was dropped");
  }
  if (state_ != State::kReceiving) {
    return reject(out, "unexpected_chunk", "a chunk arrived before the file list");
  }
  if (frame.transfer_id != transfer_id_) {
    return reject(out, "wrong_transfer", "a chunk of another transfer was dropped");
  }
  const size_t fi = file_index(frame.file_id);
  if (fi == SIZE_MAX) return reject(out, "unknown_file", "a chunk of an unknown file was dropped");
  auto& f = files_[fi];
  const auto& entry = manifest_->files[fi];
  if (f.state == FileState::kSkipped) {
    return reject(out, "not_accepted", "a chunk of a file this device did not accept was dropped");
  }
  const uint64_t n = f.have.chunk_count();
  if (frame.index >= n || frame.last != (frame.index + 1 == n)) {
    return reject(out, "bad_chunk_index", "a chunk outside its file was dropped");
  }
  const uint32_t len = chunk_length(entry.size, manifest_->chunk_size, frame.index);
  if (frame.payload.size() != crypto::sealed_chunk_size(len)) {
    return reject(out, "bad_chunk_length", "a chunk of the wrong length was dropped");
  }
  if (f.have.has(frame.index)) return;  // duplicate: it counts nothing
  auto plain = crypto::open_chunk_in_place(
      frame.payload, f.key, crypto::ChunkId{transfer_id_, frame.file_id, frame.index, frame.last});
  if (!plain) {
    return reject(out, "bad_mac",
                  "a chunk of \"" + entry.name + "\" failed authentication and was not written");
  }
  // Checked after authentication: only the real sender can break the window, so a forged
  // chunk (injected into a relay) cannot end the transfer this way.
  if (received_epoch_ + len > granted_ + kFlowSlackBytes) {
    sodium_memzero(plain->data(), plain->size());
    return fail(make_error("flow_control",
                           "the sender ignored flow control: it sent more than this device "
                           "allowed while its disk caught up (" +
                               std::to_string(received_epoch_ + len) + " bytes for a credit of " +
                               std::to_string(granted_) + ")"),
                out);
  }
  received_epoch_ += len;
  f.have.set(frame.index);
  touched(fi);
  if (f.state == FileState::kFailed) {
    // A file that failed part-way (a read-back error) keeps nothing, but its chunks spent the
    // sender's credit: consumed at once, so the other files still get through. Marked held, so
    // a copy of it counts nothing.
    sodium_memzero(plain->data(), plain->size());
    consumed_epoch_ += len;
    return grant(out);
  }
  unwritten_ += len;
  if (f.state == FileState::kPending) f.state = FileState::kActive;
  const bool hash_now = frame.index == f.hash_cursor && !f.read_back_pending;
  if (hash_now) {
    f.hasher.update(*plain);
    ++f.hash_cursor;
  } else if (frame.index > f.hash_cursor && ahead_bytes_ + len <= reorder_limit_) {
    f.ahead.emplace(frame.index, Bytes(plain->begin(), plain->end()));
    ahead_bytes_ += len;
  }
  out.push_back(cmd::WriteInPlace{frame.file_id, frame.index * manifest_->chunk_size, *plain});
  if (hash_now) advance_hash(fi, out);
  check_file(fi, out);
}

void Receiver::advance_hash(size_t fi, std::vector<Command>& out) {
  auto& f = files_[fi];
  if (f.read_back_pending || f.actual || f.state == FileState::kSkipped) return;
  // What the reorder buffer holds is hashed from memory; the first chunk it lacks that the
  // sink has is read back.
  for (auto it = f.ahead.begin(); it != f.ahead.end() && it->first == f.hash_cursor;
       it = f.ahead.erase(it)) {
    f.hasher.update(it->second);
    ahead_bytes_ -= it->second.size();
    sodium_memzero(it->second.data(), it->second.size());
    ++f.hash_cursor;
  }
  if (f.hash_cursor == f.have.chunk_count()) {
    f.actual = f.hasher.final();
    return;
  }
  if (f.have.has(f.hash_cursor)) {
    const auto& e = manifest_->files[fi];
    out.push_back(cmd::ReadBack{e.id, f.hash_cursor, f.hash_cursor * manifest_->chunk_size,
                                chunk_length(e.size, manifest_->chunk_size, f.hash_cursor)});
    f.read_back_pending = true;
  }
}

uint64_t Receiver::credit() const {
  const uint64_t limit = consumed_epoch_ + window_;
  return limit > carried_ ? limit - carried_ : 0;
}

// A MANIFEST opened an epoch: its credit counts from here, less what earlier epochs still have
// unwritten, and the first WINDOW goes out.
void Receiver::start_credit(std::vector<Command>& out) {
  carried_ = unwritten_;
  consumed_epoch_ = 0;
  received_epoch_ = 0;
  granted_ = credit();
  send(WindowMsg{granted_}, out);
}

std::vector<Command> Receiver::on_written(uint64_t bytes) {
  std::vector<Command> out;
  bytes = std::min(bytes, unwritten_);
  unwritten_ -= bytes;
  consumed_epoch_ += bytes;
  grant(out);
  return out;
}

void Receiver::grant(std::vector<Command>& out) {
  // Few messages: a new WINDOW only after a quarter window of growth (see kMinReceiveWindowBytes
  // for why that never starves the sender).
  if (state_ == State::kReceiving && epoch_ && credit() >= granted_ + window_ / 4) {
    granted_ = credit();
    send(WindowMsg{granted_}, out);
  }
}

std::vector<Command> Receiver::on_read_back(uint32_t file_id, uint64_t index, ByteView bytes) {
  std::vector<Command> out;
  if (state_ != State::kReceiving) return out;
  const size_t fi = file_index(file_id);
  if (fi == SIZE_MAX || !files_[fi].read_back_pending || files_[fi].hash_cursor != index) {
    reject(out, "unexpected_read_back", "a read-back nobody asked for was ignored");
    return out;
  }
  auto& f = files_[fi];
  const auto& e = manifest_->files[fi];
  f.read_back_pending = false;
  if (bytes.size() != chunk_length(e.size, manifest_->chunk_size, index)) {
    f.state = FileState::kFailed;
    touched(fi);
    for (auto& [i, held] : f.ahead) {
      ahead_bytes_ -= held.size();
      sodium_memzero(held.data(), held.size());
    }
    f.ahead.clear();
    out.push_back(cmd::FileFailed{
        e.id, make_error("read_back_failed", "\"" + e.name + "\" could not be read back to check it")});
    check_done(out);
    return out;
  }
  f.hasher.update(bytes);
  ++f.hash_cursor;
  advance_hash(fi, out);
  check_file(fi, out);
  return out;
}

void Receiver::check_file(size_t fi, std::vector<Command>& out) {
  auto& f = files_[fi];
  if (state_ != State::kReceiving) return;  // an answer first (a FILE_END may come before it)
  if (f.state == FileState::kComplete || f.state == FileState::kFailed ||
      f.state == FileState::kSkipped) {
    return;
  }
  touched(fi);
  if (f.have.complete()) f.state = FileState::kVerifying;
  if (!f.actual || !f.expected) return;
  const auto& e = manifest_->files[fi];
  if (sodium_memcmp(f.actual->data(), f.expected->data(), f.actual->size()) == 0) {
    f.state = FileState::kComplete;
    out.push_back(cmd::FileComplete{e.id, *f.actual});
  } else {
    f.state = FileState::kFailed;
    out.push_back(cmd::FileFailed{
        e.id, make_error("hash_mismatch", "\"" + e.name +
                                              "\" does not match the sender's hash; it is "
                                              "damaged and was not completed")});
  }
  check_done(out);
}

void Receiver::check_done(std::vector<Command>& out) {
  const auto settled = [](FileState s) {
    return s == FileState::kSkipped || s == FileState::kComplete || s == FileState::kFailed;
  };
  while (settled_upto_ < files_.size() && settled(files_[settled_upto_].state)) ++settled_upto_;
  if (settled_upto_ < files_.size()) return;
  CompleteMsg done;
  bool all_ok = true;
  for (size_t i = 0; i < files_.size(); ++i) {
    const auto s = files_[i].state;
    if (s == FileState::kSkipped) continue;
    done.files.push_back({manifest_->files[i].id, s == FileState::kComplete});
    all_ok = all_ok && s == FileState::kComplete;
  }
  send(std::move(done), out);
  if (all_ok) {
    state_ = State::kComplete;
    out.push_back(cmd::TransferComplete{});
  } else {
    state_ = State::kFailed;
    drop_ahead();
    out.push_back(cmd::Failure{make_error("files_failed", "some files arrived damaged"), true});
  }
}

void Receiver::on_control(const protocol::ControlFrame& frame, std::vector<Command>& out) {
  auto opened = opener_.open(frame, epoch_ ? &*epoch_ : nullptr);
  if (!opened) return out.push_back(cmd::Failure{opened.error(), false});
  if (!*opened) return;  // a part: more to come
  auto msg = &**opened;
  if (auto* m = std::get_if<Manifest>(&msg->body)) {
    return on_manifest(msg->epoch, std::move(*m), out);
  }
  if (!epoch_) return reject(out, "unexpected_control", "a control message came before the file list");
  if (state_ == State::kComplete || state_ == State::kDeclined) return;
  if (auto* end = std::get_if<FileEndMsg>(&msg->body)) {
    const size_t fi = file_index(end->file_id);
    if (fi == SIZE_MAX) return reject(out, "unknown_file", "a hash for an unknown file");
    auto& f = files_[fi];
    if (f.expected && *f.expected != end->hash) {
      return fail(make_error("hash_changed", "the sender changed a file's hash"), out);
    }
    f.expected = end->hash;
    check_file(fi, out);
  } else if (std::holds_alternative<PauseMsg>(msg->body)) {
    paused_remote_ = true;
  } else if (std::holds_alternative<ResumeMsg>(msg->body)) {
    paused_remote_ = false;
  } else if (std::holds_alternative<CancelMsg>(msg->body)) {
    state_ = State::kCancelled;
    drop_ahead();
    out.push_back(cmd::TransferCancelled{true});
  } else if (auto* err = std::get_if<ErrorMsg>(&msg->body)) {
    fail(make_error("peer_error", "the sender stopped: " + err->message), out);
  } else {
    reject(out, "unexpected_control", "the sender sent a receiver-only message");
  }
}

void Receiver::on_manifest(const Epoch& epoch, Manifest manifest, std::vector<Command>& out) {
  if (manifest_ && *manifest_ != manifest) {
    epoch_ = epoch;
    return fail(make_error("manifest_changed", "the sender changed the file list of a transfer"),
                out);
  }
  epoch_ = epoch;
  paused_remote_ = false;
  if (state_ == State::kDeclined) return send(AcceptMsg{}, out);  // it missed the answer
  if (!manifest_) {
    for (const auto& e : manifest.files) {
      FileRecv f;
      f.have = HaveMap(chunk_count(e.size, manifest.chunk_size));
      f.key = crypto::derive_file_key(key_, transfer_id_, e.id);
      files_.push_back(std::move(f));
    }
    manifest_ = std::move(manifest);
    rebuild_ = true;
    out.push_back(cmd::ManifestReceived{*manifest_});
  }
  HaveMsg have;
  size_t runs_left = kMaxHaveRuns;
  for (size_t i = 0; i < files_.size(); ++i) {
    auto runs = files_[i].have.runs(runs_left);
    runs_left -= runs.size();
    have.files.push_back({manifest_->files[i].id, std::move(runs)});
  }
  send(std::move(have), out);
  if (paused_local_) send(PauseMsg{}, out);
  if (!accepted_) {
    state_ = State::kAwaitingAccept;  // the offer waits for the person: no credit yet
    return;
  }
  send(answer(), out);
  if (state_ == State::kComplete) {
    // The sender missed our COMPLETE (the channel dropped): say it again.
    CompleteMsg done;
    for (size_t i = 0; i < files_.size(); ++i) {
      if (files_[i].state != FileState::kSkipped) done.files.push_back({manifest_->files[i].id, true});
    }
    return send(std::move(done), out);
  }
  start_receiving(out);
}

// The answer is given: credit for this epoch, and a restored receiver re-hashes what it
// already has, from its sink.
void Receiver::start_receiving(std::vector<Command>& out) {
  state_ = State::kReceiving;
  start_credit(out);
  for (size_t i = 0; i < files_.size(); ++i) {
    advance_hash(i, out);
    check_file(i, out);
  }
}

AcceptMsg Receiver::answer() const {
  AcceptMsg m;
  for (size_t i = 0; i < files_.size(); ++i) {
    if (files_[i].state != FileState::kSkipped) m.file_ids.push_back(manifest_->files[i].id);
  }
  std::sort(m.file_ids.begin(), m.file_ids.end());
  return m;
}

std::vector<Command> Receiver::accept(std::vector<uint32_t> file_ids) {
  std::vector<Command> out;
  if (state_ != State::kAwaitingAccept) return out;
  std::vector<bool> chosen(files_.size(), false);
  bool any = false;
  for (const uint32_t id : file_ids) {
    const size_t fi = file_index(id);
    if (fi == SIZE_MAX) continue;
    chosen[fi] = true;
    any = true;
  }
  if (!any) return decline();
  accepted_ = true;
  for (size_t i = 0; i < files_.size(); ++i) {
    if (!chosen[i]) files_[i].state = FileState::kSkipped;
  }
  rebuild_ = true;
  AcceptMsg m = answer();
  out.push_back(cmd::Accepted{m.file_ids});
  send(std::move(m), out);
  start_receiving(out);
  return out;
}

std::vector<Command> Receiver::decline() {
  std::vector<Command> out;
  if (state_ != State::kAwaitingAccept) return out;
  state_ = State::kDeclined;
  send(AcceptMsg{}, out);
  out.push_back(cmd::TransferDeclined{});
  return out;
}

std::vector<Command> Receiver::pause() {
  std::vector<Command> out;
  if (paused_local_ || over(state_)) return out;
  paused_local_ = true;
  if (epoch_) send(PauseMsg{}, out);
  return out;
}

std::vector<Command> Receiver::resume() {
  std::vector<Command> out;
  if (!paused_local_ || over(state_)) return out;
  paused_local_ = false;
  if (epoch_) send(ResumeMsg{}, out);
  return out;
}

std::vector<Command> Receiver::cancel() {
  std::vector<Command> out;
  if (state_ == State::kComplete || over(state_)) return out;
  state_ = State::kCancelled;
  drop_ahead();
  if (epoch_) send(CancelMsg{}, out);
  out.push_back(cmd::TransferCancelled{false});
  return out;
}

void Receiver::touched(size_t fi) {
  if (rebuild_) return;
  // More entries than files: one rebuild costs less than growing the list (a large file
  // touches its entry at every chunk).
  if (touched_.size() >= files_.size()) {
    touched_.clear();
    rebuild_ = true;
    return;
  }
  touched_.push_back(fi);
}

std::shared_ptr<const TransferProgress> Receiver::shared_progress() const {
  const auto done_of = [this](size_t i) {
    return files_[i].have.bytes(manifest_->files[i].size, manifest_->chunk_size);
  };
  const auto add = [](TransferProgress& p, const FileProgress& fp, int64_t sign) {
    if (fp.state == FileState::kSkipped) return;
    p.bytes_done += static_cast<uint64_t>(sign) * fp.bytes_done;
    p.bytes_total += static_cast<uint64_t>(sign) * fp.size;
    p.files_complete += static_cast<size_t>(sign) * (fp.state == FileState::kComplete ? 1 : 0);
  };
  const auto own = [this] {  // about to change progress_: a copy if someone still holds it
    if (progress_.use_count() > 1) progress_ = std::make_shared<TransferProgress>(*progress_);
  };
  if (rebuild_ || !progress_) {
    auto p = std::make_shared<TransferProgress>();
    if (manifest_) {
      p->empty_dirs = manifest_->empty_dirs;
      p->files.reserve(files_.size());
      for (size_t i = 0; i < files_.size(); ++i) {
        const auto& e = manifest_->files[i];
        p->files.push_back(FileProgress{e.id, e.name, e.size, done_of(i), files_[i].state, e.mime, e.dir});
        add(*p, p->files.back(), 1);
      }
    }
    progress_ = std::move(p);
    touched_.clear();
    rebuild_ = false;
  } else if (!touched_.empty()) {
    own();
    for (const size_t i : touched_) {
      FileProgress& fp = progress_->files[i];
      add(*progress_, fp, -1);
      fp.bytes_done = done_of(i);
      fp.state = files_[i].state;
      add(*progress_, fp, 1);
    }
    touched_.clear();
  }
  if (progress_->paused != paused()) {
    own();
    progress_->paused = paused();
  }
  return progress_;
}

}  // namespace ferry::transfer
