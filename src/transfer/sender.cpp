// Sender state machine; see sender.h for the states and the pull loop.
#include "transfer/sender.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "transfer/file_name.h"

namespace ferry::transfer {

const char* to_string(Sender::State state) {
  switch (state) {
    case Sender::State::kDisconnected: return "disconnected";
    case Sender::State::kAwaitingHave: return "awaiting_have";
    case Sender::State::kAwaitingAccept: return "awaiting_accept";
    case Sender::State::kDeclined: return "declined";
    case Sender::State::kSending: return "sending";
    case Sender::State::kAwaitingComplete: return "awaiting_complete";
    case Sender::State::kComplete: return "complete";
    case Sender::State::kCancelled: return "cancelled";
    case Sender::State::kFailed: return "failed";
  }
  return "?";
}

namespace {

bool is_terminal(Sender::State s) {
  return s == Sender::State::kComplete || s == Sender::State::kCancelled ||
         s == Sender::State::kFailed || s == Sender::State::kDeclined;
}

}  // namespace

Result<Sender> Sender::create(const crypto::SecretKey& send_key, uint32_t transfer_id,
                              const std::vector<SourceFile>& files, SenderOptions options,
                              RandomFn rng, const std::vector<std::string>& empty_dirs) {
  Manifest m;
  m.chunk_size = options.chunk_size;
  if (files.size() > kMaxManifestFiles) {
    return make_error("bad_manifest", "more than " + std::to_string(kMaxManifestFiles) + " files in one transfer");
  }
  for (size_t i = 0; i < files.size(); ++i) {
    m.files.push_back(FileEntry{static_cast<uint32_t>(i), sanitize_file_name(files[i].name),
                                files[i].size, files[i].mime, sanitize_dir_path(files[i].dir)});
  }
  for (const auto& d : empty_dirs) {
    std::string clean = sanitize_dir_path(d);
    if (!clean.empty()) m.empty_dirs.push_back(std::move(clean));
  }
  make_paths_unique(m);
  auto valid = validate_manifest(m);
  if (!valid) return valid.error();
  if (options.max_reads_in_flight == 0 || options.low_watermark >= options.high_watermark) {
    return make_error("bad_options", "sender options are inconsistent");
  }
  return Sender(send_key, transfer_id, std::move(m), options, std::move(rng));
}

Sender::Sender(const crypto::SecretKey& send_key, uint32_t transfer_id, Manifest manifest,
               SenderOptions options, RandomFn rng)
    : transfer_id_(transfer_id),
      manifest_(std::move(manifest)),
      options_(options),
      rng_(std::move(rng)),
      flow_(options.high_watermark, options.low_watermark),
      key_(send_key) {
  for (const auto& f : manifest_.files) {
    FileSend s;
    s.covered = HaveMap(chunk_count(f.size, manifest_.chunk_size));
    files_.push_back(std::move(s));
  }
}

std::vector<Bytes> Sender::seal(ControlBody body) {
  assert(sealer_);
  return sealer_->seal(ControlMessage{epoch_, std::move(body)}, rng_);
}

void Sender::append(std::vector<Bytes>& out, std::vector<Bytes> frames) {
  for (auto& f : frames) out.push_back(std::move(f));
}

std::vector<Bytes> Sender::connect(const crypto::SecretKey& send_key) {
  if (is_terminal(state_)) return {};
  key_ = send_key;
  const uint64_t last_seq = sealer_ ? sealer_->last_seq() : 0;
  sealer_.emplace(key_, transfer_id_, protocol::Origin::kSender, last_seq);
  opener_.emplace(key_, transfer_id_, protocol::Origin::kReceiver);
  rng_(epoch_.data(), epoch_.size());
  for (size_t i = 0; i < files_.size(); ++i) {
    files_[i].key = crypto::derive_file_key(key_, transfer_id_, manifest_.files[i].id);
  }
  flow_ = FlowControl(options_.high_watermark, options_.low_watermark);
  credit_ = 0;  // this epoch's receiver grants its own credit (WINDOW after its HAVE)
  epoch_bytes_sent_ = 0;
  credit_blocked_ = false;
  in_flight_.clear();
  paused_remote_ = false;
  state_ = State::kAwaitingHave;
  std::vector<Bytes> out;
  append(out, seal(manifest_));
  if (paused_local_) append(out, seal(PauseMsg{}));
  return out;
}

void Sender::disconnect() {
  if (is_terminal(state_)) return;
  state_ = State::kDisconnected;
  in_flight_.clear();
  for (auto& f : files_) f.hash_pending.clear();
  paused_remote_ = false;
  credit_blocked_ = false;
}

bool Sender::wanted(const FileSend& f, uint64_t index) const {
  return !f.covered.has(index) || (!f.hash && index >= f.hash_cursor);
}

uint64_t Sender::in_flight_chunk_bytes() const {
  uint64_t n = 0;
  for (const auto& r : in_flight_) {
    if (!files_[r.file_id].covered.has(r.index)) n += r.length;
  }
  return n;
}

std::optional<ReadRequest> Sender::next_read(uint64_t buffered_amount) {
  if (state_ != State::kSending || paused()) return std::nullopt;
  if (in_flight_.size() >= options_.max_reads_in_flight) return std::nullopt;
  const uint64_t frame_bytes =
      protocol::kChunkHeaderBytes + crypto::sealed_chunk_size(manifest_.chunk_size);
  if (!flow_.can_send(buffered_amount, in_flight_.size() * frame_bytes, frame_bytes)) {
    return std::nullopt;
  }
  for (; file_cursor_ < files_.size(); ++file_cursor_) {
    auto& f = files_[file_cursor_];
    if (f.skipped) continue;
    const auto& entry = manifest_.files[file_cursor_];
    const uint64_t n = f.covered.chunk_count();
    for (; f.scan < n; ++f.scan) {
      const uint64_t i = f.scan;
      if (!wanted(f, i)) continue;
      const uint32_t length = chunk_length(entry.size, manifest_.chunk_size, i);
      // A hash-only read sends nothing and needs no credit.
      const bool sends = !f.covered.has(i);
      credit_blocked_ = sends && epoch_bytes_sent_ + in_flight_chunk_bytes() + length > credit_;
      if (credit_blocked_) return std::nullopt;  // this chunk is asked for again later
      ++f.scan;
      ReadRequest r{entry.id, i, i * manifest_.chunk_size, length};
      in_flight_.push_back(r);
      return r;
    }
  }
  credit_blocked_ = false;
  return std::nullopt;
}

void Sender::hash_in_order(FileSend& f, uint32_t file_id, uint64_t index, ByteView bytes,
                           std::vector<Bytes>& out) {
  if (f.hash || index < f.hash_cursor) return;
  if (index > f.hash_cursor) {
    f.hash_pending.emplace(index, Bytes(bytes.begin(), bytes.end()));
    return;
  }
  f.hasher.update(bytes);
  ++f.hash_cursor;
  for (auto it = f.hash_pending.find(f.hash_cursor); it != f.hash_pending.end();
       it = f.hash_pending.find(f.hash_cursor)) {
    f.hasher.update(it->second);
    f.hash_pending.erase(it);
    ++f.hash_cursor;
  }
  if (f.hash_cursor == f.covered.chunk_count()) {
    f.hash = f.hasher.final();
    if (state_ == State::kSending) append(out, seal(FileEndMsg{file_id, *f.hash}));
  }
}

void Sender::maybe_all_sent() {
  if (state_ != State::kSending || !in_flight_.empty()) return;
  for (const auto& f : files_) {
    if (!f.skipped && (!f.hash || !f.covered.complete())) return;
  }
  state_ = State::kAwaitingComplete;
}

Status Sender::on_read(uint32_t file_id, uint64_t index, ByteView bytes, const FrameOut& send) {
  const FileEntry* entry = manifest_.find(file_id);
  if (entry == nullptr) return make_error("bad_read", "read of an unknown file");
  auto& f = files_[file_id];  // ids are positions (see create)
  const uint32_t expected = chunk_length(entry->size, manifest_.chunk_size, index);
  if (index >= f.covered.chunk_count() || bytes.size() != expected) {
    state_ = State::kFailed;
    return make_error("bad_read", "reading \"" + entry->name +
                                      "\" returned the wrong number of bytes: was it changed?");
  }
  std::vector<Bytes> file_ends;
  const auto send_file_ends = [&] {
    for (const auto& e : file_ends) send(e);
  };
  auto it = std::find(in_flight_.begin(), in_flight_.end(),
                      ReadRequest{file_id, index, index * manifest_.chunk_size, expected});
  if (it == in_flight_.end()) {
    // Requested before a drop: still useful to the hash, never sent.
    hash_in_order(f, file_id, index, bytes, file_ends);
    send_file_ends();
    return Ok{};
  }
  in_flight_.erase(it);
  if (state_ != State::kSending) return Ok{};
  if (!f.covered.has(index)) {
    // Sealed straight into the frame buffer behind its header; the buffer is reused, so the
    // data path allocates and zero-fills nothing per chunk.
    const bool last = index + 1 == f.covered.chunk_count();
    const size_t payload = crypto::sealed_chunk_size(bytes.size());
    const size_t total = protocol::kChunkHeaderBytes + payload;
    if (chunk_frame_.size() < total) chunk_frame_.resize(total);
    protocol::put_chunk_header(chunk_frame_.data(), transfer_id_, file_id, index, last,
                               static_cast<uint32_t>(payload));
    crypto::seal_chunk_to(chunk_frame_.data() + protocol::kChunkHeaderBytes, f.key,
                          crypto::ChunkId{transfer_id_, file_id, index, last}, bytes, rng_);
    f.covered.set(index);
    chunk_bytes_sent_ += bytes.size();
    epoch_bytes_sent_ += bytes.size();
    send(ByteView(chunk_frame_.data(), total));
  }
  hash_in_order(f, file_id, index, bytes, file_ends);
  send_file_ends();
  maybe_all_sent();
  return Ok{};
}

Result<std::vector<Bytes>> Sender::on_read(uint32_t file_id, uint64_t index, ByteView bytes) {
  std::vector<Bytes> out;
  auto st = on_read(file_id, index, bytes, [&out](ByteView f) { out.emplace_back(f.begin(), f.end()); });
  if (!st) return st.error();
  return out;
}

Result<std::vector<Bytes>> Sender::on_frame(const protocol::Frame& frame) {
  const auto* control = std::get_if<protocol::ControlFrame>(&frame);
  if (control == nullptr || control->origin != protocol::Origin::kReceiver) {
    return make_error("unexpected_frame", "the sender got a frame meant for a receiver");
  }
  if (is_terminal(state_)) return std::vector<Bytes>{};
  if (!opener_ || state_ == State::kDisconnected) {
    return make_error("unexpected_frame", "control message while disconnected");
  }
  auto msg = opener_->open(*control, &epoch_);
  if (!msg) return msg.error();
  if (!*msg) return std::vector<Bytes>{};  // a part: more to come
  return on_control(std::move(**msg));
}

Result<std::vector<Bytes>> Sender::on_control(ControlMessage msg) {
  std::vector<Bytes> out;
  if (auto* have = std::get_if<HaveMsg>(&msg.body)) {
    std::vector<HaveMap> maps;
    for (const auto& f : files_) maps.emplace_back(f.covered.chunk_count());
    for (const auto& fh : have->files) {
      if (manifest_.find(fh.file_id) == nullptr) {
        return make_error("bad_have", "have-map names an unknown file");
      }
      auto map = HaveMap::from_runs(maps[fh.file_id].chunk_count(), fh.runs);
      if (!map) return map.error();
      maps[fh.file_id] = std::move(map).value();
    }
    if (state_ == State::kAwaitingHave) {
      // The receiver's word is the truth for this connection: what it lacks is sent again,
      // once it answers the offer (ACCEPT).
      for (size_t i = 0; i < files_.size(); ++i) {
        files_[i].covered = std::move(maps[i]);
        files_[i].scan = 0;
      }
      file_cursor_ = 0;
      state_ = State::kAwaitingAccept;
    }
  } else if (auto* accept = std::get_if<AcceptMsg>(&msg.body)) {
    return on_accept(*accept);
  } else if (auto* window = std::get_if<WindowMsg>(&msg.body)) {
    // Credit is cumulative: a smaller one (an older grant) changes nothing.
    if (window->credit > credit_) {
      credit_ = window->credit;
      credit_blocked_ = false;  // the next next_read() decides again
    }
  } else if (std::holds_alternative<PauseMsg>(msg.body)) {
    paused_remote_ = true;
  } else if (std::holds_alternative<ResumeMsg>(msg.body)) {
    paused_remote_ = false;
  } else if (std::holds_alternative<CancelMsg>(msg.body)) {
    state_ = State::kCancelled;
  } else if (auto* done = std::get_if<CompleteMsg>(&msg.body)) {
    bool all_ok = done->files.size() == accepted_files();
    for (const auto& r : done->files) {
      if (manifest_.find(r.file_id) == nullptr || files_[r.file_id].skipped) continue;
      files_[r.file_id].confirmed = r.ok;
      files_[r.file_id].failed = !r.ok;
      all_ok = all_ok && r.ok;
    }
    state_ = all_ok ? State::kComplete : State::kFailed;
  } else if (auto* err = std::get_if<ErrorMsg>(&msg.body)) {
    state_ = State::kFailed;
    return make_error("peer_error", "the receiver stopped: " + err->message);
  } else {
    return make_error("unexpected_control", "the receiver sent a sender-only message");
  }
  return out;
}

// The receiver's answer. Only the first of an epoch counts (the receiver answers once per
// epoch); a later epoch's answer replaces the files taken, which an honest receiver keeps.
Result<std::vector<Bytes>> Sender::on_accept(const AcceptMsg& accept) {
  std::vector<Bytes> out;
  if (state_ != State::kAwaitingAccept) return out;
  for (const uint32_t id : accept.file_ids) {
    if (manifest_.find(id) == nullptr) return make_error("bad_accept", "the answer names an unknown file");
  }
  answered_ = true;
  if (accept.file_ids.empty()) {
    for (auto& f : files_) f.skipped = true;
    state_ = State::kDeclined;
    return out;
  }
  for (size_t i = 0; i < files_.size(); ++i) {
    files_[i].skipped = !std::binary_search(accept.file_ids.begin(), accept.file_ids.end(),
                                            manifest_.files[i].id);
  }
  state_ = State::kSending;
  for (const auto& f : manifest_.files) {
    if (!files_[f.id].skipped && files_[f.id].hash) append(out, seal(FileEndMsg{f.id, *files_[f.id].hash}));
  }
  maybe_all_sent();
  return out;
}

size_t Sender::accepted_files() const {
  size_t n = 0;
  for (const auto& f : files_) n += f.skipped ? 0 : 1;
  return n;
}

std::vector<Bytes> Sender::pause() {
  if (paused_local_ || is_terminal(state_)) return {};
  paused_local_ = true;
  if (state_ == State::kDisconnected) return {};
  return seal(PauseMsg{});
}

std::vector<Bytes> Sender::resume() {
  if (!paused_local_ || is_terminal(state_)) return {};
  paused_local_ = false;
  if (state_ == State::kDisconnected) return {};
  return seal(ResumeMsg{});
}

std::vector<Bytes> Sender::cancel() {
  if (is_terminal(state_)) return {};
  const bool connected = state_ != State::kDisconnected;
  state_ = State::kCancelled;
  if (!connected) return {};
  return seal(CancelMsg{});
}

TransferProgress Sender::progress() const {
  TransferProgress p;
  p.paused = paused();
  p.empty_dirs = manifest_.empty_dirs;
  p.files.reserve(files_.size());
  for (size_t i = 0; i < files_.size(); ++i) {
    const auto& f = files_[i];
    const auto& e = manifest_.files[i];
    FileProgress fp;
    fp.file_id = e.id;
    fp.name = e.name;
    fp.size = e.size;
    fp.bytes_done = f.covered.bytes(e.size, manifest_.chunk_size);
    fp.mime = e.mime;
    fp.dir = e.dir;
    fp.state = f.skipped              ? FileState::kSkipped
               : f.confirmed          ? FileState::kComplete
               : f.failed             ? FileState::kFailed
               : f.covered.count() > 0 ? FileState::kActive
                                       : FileState::kPending;
    if (f.skipped) {
      fp.bytes_done = 0;
      p.files.push_back(std::move(fp));
      continue;
    }
    p.bytes_done += fp.bytes_done;
    p.bytes_total += e.size;
    p.files_complete += fp.state == FileState::kComplete ? 1 : 0;
    p.files.push_back(std::move(fp));
  }
  return p;
}

}  // namespace ferry::transfer
