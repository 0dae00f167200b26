// The data plane: see data_plane.h.
#include "app/data_plane.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "protocol/frame.h"
#include "util/format.h"

namespace ferry::app {

namespace {

TransferState transfer_state(const transfer::Sender& s) {
  using S = transfer::Sender::State;
  switch (s.state()) {
    case S::kDisconnected:
    case S::kAwaitingHave:
      return TransferState::kWaiting;
    case S::kAwaitingAccept:
      return TransferState::kAwaitingAnswer;
    case S::kDeclined:
      return TransferState::kDeclined;
    case S::kSending:
    case S::kAwaitingComplete:
      return s.paused() ? TransferState::kPaused : TransferState::kSending;
    case S::kComplete:
      return TransferState::kComplete;
    case S::kCancelled:
      return TransferState::kCancelled;
    case S::kFailed:
      return TransferState::kFailed;
  }
  return TransferState::kFailed;
}

TransferState transfer_state(const transfer::Receiver& r) {
  using S = transfer::Receiver::State;
  switch (r.state()) {
    case S::kAwaitingManifest:
      return TransferState::kWaiting;
    case S::kAwaitingAccept:
      return TransferState::kOffered;
    case S::kDeclined:
      return TransferState::kDeclined;
    case S::kReceiving:
      return r.paused() ? TransferState::kPaused : TransferState::kReceiving;
    case S::kComplete:
      return TransferState::kComplete;
    case S::kCancelled:
      return TransferState::kCancelled;
    case S::kFailed:
      return TransferState::kFailed;
  }
  return TransferState::kFailed;
}

}  // namespace

const char* to_string(TransferState state) {
  switch (state) {
    case TransferState::kWaiting:
      return "waiting";
    case TransferState::kAwaitingAnswer:
      return "waiting to be accepted";
    case TransferState::kOffered:
      return "offered";
    case TransferState::kDeclined:
      return "declined";
    case TransferState::kSending:
      return "sending";
    case TransferState::kReceiving:
      return "receiving";
    case TransferState::kPaused:
      return "paused";
    case TransferState::kComplete:
      return "complete";
    case TransferState::kCancelled:
      return "cancelled";
    case TransferState::kFailed:
      return "failed";
  }
  return "failed";
}

DataPlane::DataPlane(RandomFn rng, uint32_t chunk_size, Emit emit, Log log, Pending pending)
    : rng_(std::move(rng)),
      preferred_chunk_size_(chunk_size),
      emit_(std::move(emit)),
      log_(std::move(log)),
      pending_(std::move(pending)) {
  chunk_size_ = preferred_chunk_size_;
  // Transfer ids must not repeat across reloads of a tab (the other side may still hold a
  // transfer of the same id from before, and saved receiver states are keyed by it): start at a
  // random point of a 2^30 range, which leaves room to count up.
  uint32_t r = 0;
  rng_(reinterpret_cast<uint8_t*>(&r), sizeof r);
  next_transfer_id_ = 1 + (r & kTransferIdStartMask);
}

void DataPlane::set_keys(const crypto::SecretKey& send_data, const crypto::SecretKey& recv_data) {
  send_key_ = send_data;
  recv_key_ = recv_data;
  // Transfers from an earlier connection go on under the new keys (senders on connect()).
  for (auto& [id, in] : incoming_) in.receiver.rekey(recv_data);
}

// --- the path -------------------------------------------------------------------------------

void DataPlane::open(size_t max_message_size, bool via_server) {
  open_ = true;
  via_server_ = via_server;
  chunk_size_ = preferred_chunk_size_;
  if (max_message_size > kChunkFrameOverheadBytes &&
      max_message_size < preferred_chunk_size_ + kChunkFrameOverheadBytes) {
    chunk_size_ = static_cast<uint32_t>(max_message_size - kChunkFrameOverheadBytes);
  }
  for (auto& [id, out] : outgoing_) {
    if (!out.sender) {
      start_outgoing(out, id);
    } else {
      send_frames(out.sender->connect(*send_key_));
    }
  }
}

void DataPlane::close() {
  if (!open_) return;
  open_ = false;
  forming_.clear();  // their remaining parts died with the connection
  for (auto& [id, in] : incoming_) in.receiver.drop_parts();
  for (auto& [id, out] : outgoing_) {
    if (!out.sender) continue;
    out.sender->drop_parts();
    out.sender->disconnect();
  }
}

size_t DataPlane::assembling_bytes() const {
  size_t n = 0;
  for (const auto& [id, f] : forming_) n += f.receiver.assembling_bytes();
  for (const auto& [id, in] : incoming_) n += in.receiver.assembling_bytes();
  for (const auto& [id, out] : outgoing_) n += out.sender ? out.sender->assembling_bytes() : 0;
  return n;
}

template <class Endpoint>
bool DataPlane::over_part_budget(Endpoint& e, bool held_elsewhere) {
  if (e.assembling_bytes() == 0) return false;  // (most frames: no sum over every endpoint)
  const size_t total = assembling_bytes() + (held_elsewhere ? e.assembling_bytes() : 0);
  if (total <= kMaxAssemblingBytes) return false;
  e.drop_parts();
  log_("Dropped a control message in parts: too many at once");
  return true;
}

void DataPlane::start_outgoing(Outgoing& out, uint32_t id) {
  transfer::SenderOptions opts;
  opts.chunk_size = chunk_size_;
  opts.max_reads_in_flight = kReadsInFlight;
  auto s = transfer::Sender::create(*send_key_, id, out.files, opts, rng_, out.empty_dirs);
  if (!s) {
    log_("Cannot send these files: " + s.error().message);
    return;
  }
  out.sender.emplace(std::move(s).value());
  send_frames(out.sender->connect(*send_key_));
}

void DataPlane::send_frame(ByteView frame) {
  if (!open_) return;
  if (io_ != nullptr && !pending_()) {
    io_->send_frame(frame, via_server_);
  } else {
    emit_(cmd::SendFrame{Bytes(frame.begin(), frame.end()), via_server_});
  }
}

void DataPlane::send_frames(const std::vector<Bytes>& frames) {
  for (const auto& f : frames) send_frame(f);
}

void DataPlane::write(uint32_t id, uint32_t file_id, uint64_t offset, ByteView bytes) {
  Incoming& in = incoming_.at(id);
  in.unsaved_bytes += bytes.size();
  if (io_ != nullptr && !pending_()) {
    io_->write(id, file_id, offset, bytes);
    return;
  }
  emit_(cmd::WriteSink{id, file_id, offset, Bytes(bytes.begin(), bytes.end())});
  // With a DataIo the platform acknowledges it like any write; without one it counts as
  // written once the batch is carried out.
  if (io_ == nullptr) in.acked_at_once += bytes.size();
}

void DataPlane::on_sink_written(uint32_t id, uint64_t bytes) {
  auto it = incoming_.find(id);
  if (it == incoming_.end() || bytes == 0) return;
  run_receiver_commands(id, it->second.receiver.on_written(bytes));
}

// --- intents --------------------------------------------------------------------------------

void DataPlane::send_files(std::vector<transfer::SourceFile> files, std::vector<int> handles,
                           std::vector<std::string> empty_dirs) {
  if (files.empty() || files.size() != handles.size()) return;
  if (files.size() > transfer::kMaxManifestFiles) {
    log_("Cannot send " + std::to_string(files.size()) + " files at once: at most " +
         std::to_string(transfer::kMaxManifestFiles) + " go in one transfer (send the folder in parts, or as a ZIP)");
    return;
  }
  const uint32_t id = next_transfer_id_++;
  Outgoing& out = outgoing_[id];
  out.files = std::move(files);
  out.empty_dirs = std::move(empty_dirs);
  out.handles = std::move(handles);
  uint64_t total = 0;
  for (const auto& f : out.files) total += f.size;
  log_("Ready to send " + std::to_string(out.files.size()) + (out.files.size() == 1 ? " file" : " files") +
       " (" + format_bytes(static_cast<double>(total)) + ")");
  if (open_) start_outgoing(out, id);
}

void DataPlane::control(uint32_t id, bool outgoing, Control what) {
  static constexpr const char* kDone[] = {"Paused", "Resumed", "Cancelled"};
  // Only what changes something is done and logged: resuming what the other side paused, or
  // pausing twice, is not.
  const auto wanted = [what](bool paused_here, bool over) {
    return !over && (what == Control::kCancel || (what == Control::kPause) != paused_here);
  };
  if (outgoing) {
    auto it = outgoing_.find(id);
    if (it == outgoing_.end()) return;
    if (!it->second.sender) {
      // Not started yet (no peer): cancelling simply forgets the files.
      if (what != Control::kCancel) return;
      outgoing_.erase(it);
    } else {
      auto& s = *it->second.sender;
      using S = transfer::Sender::State;
      const bool over = s.state() == S::kComplete || s.state() == S::kCancelled || s.state() == S::kFailed;
      if (!wanted(s.paused_here(), over)) return;
      send_frames(what == Control::kPause ? s.pause() : what == Control::kResume ? s.resume() : s.cancel());
    }
  } else {
    auto it = incoming_.find(id);
    if (it == incoming_.end()) return;
    auto& r = it->second.receiver;
    using S = transfer::Receiver::State;
    const bool over = r.state() == S::kComplete || r.state() == S::kCancelled || r.state() == S::kFailed;
    if (!wanted(r.paused_here(), over)) return;
    run_receiver_commands(id, what == Control::kPause ? r.pause() : what == Control::kResume ? r.resume() : r.cancel());
  }
  log_(kDone[static_cast<int>(what)]);
}

void DataPlane::restore_incoming(uint32_t transfer_id, Bytes state) {
  if (persisted_.size() >= kMaxIncomingTransfers || incoming_.count(transfer_id)) return;
  persisted_[transfer_id] = std::move(state);
}

// --- speeds ---------------------------------------------------------------------------------

void DataPlane::tick(double now_ms) {
  if (now_ms - last_speed_sample_ < kSpeedSampleMs) return;
  last_speed_sample_ = now_ms;
  for (auto& [id, out] : outgoing_) {
    if (!out.sender) continue;
    const auto p = out.sender->progress();  // (a sender's is built each time)
    out.speed.update(now_ms, p.bytes_done);
    sample_files(out.file_speeds, p, now_ms);
  }
  for (auto& [id, in] : incoming_) {
    const auto& p = in.receiver.progress();
    in.speed.update(now_ms, p.bytes_done);
    sample_files(in.file_speeds, p, now_ms);
  }
}

void DataPlane::sample_files(std::vector<Speed>& speeds, const transfer::TransferProgress& p, double now_ms) {
  speeds.resize(p.files.size());
  for (size_t i = 0; i < p.files.size(); ++i) speeds[i].update(now_ms, p.files[i].bytes_done);
}

std::vector<double> DataPlane::file_speeds(const std::vector<Speed>& speeds, const transfer::TransferProgress& p) {
  std::vector<double> out(p.files.size(), 0.0);
  for (size_t i = 0; i < p.files.size() && i < speeds.size(); ++i) {
    const auto s = p.files[i].state;
    if (s == transfer::FileState::kActive) out[i] = speeds[i].value;
  }
  return out;
}

void DataPlane::Speed::update(double now, uint64_t bytes) {
  if (since < 0) {
    since = now;
    last_bytes = bytes;
    return;
  }
  const double dt = now - since;
  if (dt <= 0) return;
  const double instant = static_cast<double>(bytes - std::min(bytes, last_bytes)) * 1000.0 / dt;
  // The first interval sets the speed outright: easing in from zero would show a tiny speed and
  // an absurd ETA for the first seconds of every transfer.
  const double alpha = value == 0 ? 1.0 : std::min(1.0, dt / kSpeedWindowMs);
  value = value + alpha * (instant - value);
  since = now;
  last_bytes = bytes;
}

// --- frames ---------------------------------------------------------------------------------

// A receiver for a transfer the sender offers: from the state this browser saved of it (a
// reloaded tab resumes into the bytes it kept), or a new one. No side effects: it is kept only
// once the sender's MANIFEST opened in it (on_frame).
transfer::Receiver DataPlane::new_receiver(uint32_t id, bool& restored) {
  const auto& key = *recv_key_;
  restored = false;
  auto saved = persisted_.find(id);
  if (saved == persisted_.end()) return transfer::Receiver(key, id, rng_);
  auto r = transfer::Receiver::restore(key, saved->second, rng_);
  if (!r || r->transfer_id() != id || !r->manifest()) return transfer::Receiver(key, id, rng_);
  restored = true;
  return std::move(r).value();
}

// A restored receiver was accepted: its files are opened where the saved bytes are.
void DataPlane::reopen_sinks(uint32_t id, const transfer::Receiver& r) {
  uint64_t kept = 0;
  const auto& files = r.progress().files;
  for (const auto& f : r.manifest()->files) {
    if (files.at(&f - r.manifest()->files.data()).state == transfer::FileState::kSkipped) continue;
    emit_(cmd::OpenSink{id, f.id, f.name, f.size, state_key(id) + "-" + std::to_string(f.id), true, f.mime, f.dir});
    const auto* have = r.have_map(f.id);
    if (have) kept += std::min<uint64_t>(f.size, have->count() * uint64_t{r.manifest()->chunk_size});
  }
  log_("Resuming a transfer from what this browser kept (" + format_bytes(static_cast<double>(kept)) + ")");
}

void DataPlane::on_frame_in_place(std::span<uint8_t> bytes) {
  if (!open_) return;
  if (protocol::peek_type(bytes) != protocol::FrameType::kChunk) return on_frame(bytes);
  auto chunk = protocol::parse_chunk(bytes);
  if (!chunk) {
    log_("Dropped a malformed frame (" + chunk.error().code + ")");
    return;
  }
  auto it = incoming_.find(chunk->transfer_id);
  if (it == incoming_.end()) {
    if (dropped_frames_++ % kDroppedFrameLogEvery == 0) log_("Dropped a frame of no transfer this device knows");
    return;
  }
  run_receiver_commands(chunk->transfer_id, it->second.receiver.on_chunk_in_place(*chunk));
}

void DataPlane::on_frame(ByteView bytes) {
  if (!open_) return;
  auto frame = protocol::parse(bytes);
  if (!frame) {
    log_("Dropped a malformed frame (" + frame.error().code + ")");
    return;
  }
  if (auto* c = std::get_if<protocol::ControlFrame>(&*frame); c && c->origin == protocol::Origin::kReceiver) {
    return on_sender_frame(*frame);
  }
  const uint32_t id = std::visit([](const auto& f) { return f.transfer_id; }, *frame);
  auto it = incoming_.find(id);
  if (it != incoming_.end()) {
    auto cmds = it->second.receiver.on_frame(*frame);
    over_part_budget(it->second.receiver);
    run_receiver_commands(id, std::move(cmds));
    return;
  }
  // An incoming transfer exists only once its sealed MANIFEST opened: anything else for an
  // unknown id (forged, or late from a transfer we dropped) is dropped without keeping a thing.
  const auto* control = std::get_if<protocol::ControlFrame>(&*frame);
  if (!control || incoming_.size() >= kMaxIncomingTransfers) {
    if (dropped_frames_++ % kDroppedFrameLogEvery == 0) {
      log_(control ? "Dropped a transfer: too many at once" : "Dropped a frame of no transfer this device knows");
    }
    return;
  }
  bool restored = false;
  auto forming = forming_.find(id);
  transfer::Receiver r = forming != forming_.end() ? std::move(forming->second.receiver) : new_receiver(id, restored);
  if (forming != forming_.end()) {
    restored = forming->second.restored;
    forming_.erase(forming);
  }
  auto cmds = r.on_frame(*frame);
  if (!r.manifest_opened()) {
    if (r.assembling() && forming_.size() < kMaxFormingTransfers && !over_part_budget(r, /*held_elsewhere=*/true)) {
      forming_.emplace(id, Forming{std::move(r), restored});  // its first parts opened: the rest is on its way
      return;
    }
    if (dropped_frames_++ % kDroppedFrameLogEvery == 0) log_("Dropped a frame that did not open as a file list");
    return;
  }
  if (persisted_.erase(id) && !restored) {
    log_("Could not use the saved state of an earlier transfer; receiving it again");
  }
  if (restored && r.accepted()) reopen_sinks(id, r);
  incoming_.emplace(id, Incoming{std::move(r), 0, 0, 0, Speed{}, {}});
  run_receiver_commands(id, std::move(cmds));
}

// A CONTROL frame from the receiver of a transfer this side sends.
void DataPlane::on_sender_frame(const protocol::Frame& frame) {
  const auto& c = std::get<protocol::ControlFrame>(frame);
  auto it = outgoing_.find(c.transfer_id);
  if (it == outgoing_.end() || !it->second.sender) {
    log_("Dropped a frame for an unknown transfer");
    return;
  }
  auto& sender = *it->second.sender;
  const auto before = sender.state();
  const bool answered = sender.answered();
  auto frames = sender.on_frame(frame);
  over_part_budget(sender);
  if (!frames) {
    log_("Rejected a frame: " + frames.error().message);
    return;
  }
  send_frames(*frames);
  if (!answered && sender.answered()) {
    const size_t n = sender.manifest().files.size();
    const size_t taken = sender.accepted_files();
    log_(taken == 0   ? std::string("The other device declined the files")
         : taken == n ? std::string("The other device accepted the files")
                      : "The other device accepted " + std::to_string(taken) + " of " + std::to_string(n) + " files");
  }
  if (before != sender.state()) {
    if (sender.state() == transfer::Sender::State::kComplete) log_("Sent: the other device has every file");
    if (sender.state() == transfer::Sender::State::kCancelled) log_("The other device cancelled a transfer");
    if (sender.state() == transfer::Sender::State::kFailed) log_("A transfer failed on the other device");
  }
}

void DataPlane::pump(uint64_t buffered) {
  if (!open_) return;
  for (auto& [id, out] : outgoing_) {
    if (!out.sender) continue;
    while (auto r = out.sender->next_read(buffered)) {
      emit_(cmd::ReadFile{id, r->file_id, r->index, r->offset, r->length});
    }
  }
}

void DataPlane::on_file_read(uint32_t id, uint32_t file_id, uint64_t index, ByteView bytes) {
  auto it = outgoing_.find(id);
  if (it == outgoing_.end() || !it->second.sender) return;
  auto& sender = *it->second.sender;
  auto st = sender.on_read(file_id, index, bytes, [this](ByteView frame) { send_frame(frame); });
  if (!st) {
    log_("Read error: " + st.error().message);
    send_frames(sender.cancel());
  }
}

void DataPlane::on_file_read_error(uint32_t id, std::string_view message) {
  auto it = outgoing_.find(id);
  if (it == outgoing_.end() || !it->second.sender) return;
  log_("Could not read a file: " + std::string(message));
  send_frames(it->second.sender->cancel());
}

void DataPlane::on_sink_read(uint32_t id, uint32_t file_id, uint64_t index, ByteView bytes) {
  auto it = incoming_.find(id);
  if (it == incoming_.end()) return;
  run_receiver_commands(id, it->second.receiver.on_read_back(file_id, index, bytes));
}

void DataPlane::on_sink_error(uint32_t id, uint32_t file_id, std::string_view message) {
  auto it = incoming_.find(id);
  if (it == incoming_.end()) return;
  (void)file_id;
  const bool quota = message.find("quota") != std::string_view::npos;
  log_(quota ? "This browser has no more storage for received files. Free some space, or open Ferry "
               "in a browser with more room, then try again."
             : "Could not save a file: " + std::string(message));
  run_receiver_commands(id, it->second.receiver.cancel());
}

void DataPlane::run_receiver_commands(uint32_t id, std::vector<transfer::Command> cmds) {
  // An accepted offer or a finished file: save the receiver's state now (an offer not yet
  // answered is not saved: a reloaded tab is asked again, and nothing of it is on disk).
  bool save = false;
  size_t completed = 0;  // files verified in this batch
  bool over = false;  // the transfer ended: its saved state is of no use any more
  bool offered = false;  // a new offer, to accept at once when the person said so
  for (auto& c : cmds) {
    std::visit([&](const auto& m) {
      using T = std::decay_t<decltype(m)>;
      save = save || std::is_same_v<T, transfer::cmd::Accepted>;
      completed += std::is_same_v<T, transfer::cmd::FileComplete> ? 1 : 0;
      offered = offered || std::is_same_v<T, transfer::cmd::ManifestReceived>;
      if constexpr (std::is_same_v<T, transfer::cmd::Failure>) over = over || m.fatal;
      over = over || std::is_same_v<T, transfer::cmd::TransferComplete> ||
             std::is_same_v<T, transfer::cmd::TransferCancelled> || std::is_same_v<T, transfer::cmd::TransferDeclined>;
    }, c);
  }
  const auto abort_unfinished = [&] {
    const auto& r = incoming_.at(id).receiver;
    if (!r.manifest() || !r.accepted()) return;  // no sink was opened
    for (const auto& f : r.progress().files) {
      if (f.state != transfer::FileState::kComplete && f.state != transfer::FileState::kSkipped) {
        emit_(cmd::AbortSink{id, f.file_id});
      }
    }
  };
  for (auto& c : cmds) {
    std::visit(
        [&](auto&& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, transfer::cmd::ManifestReceived>) {
            uint64_t total = 0;
            for (const auto& f : m.manifest.files) total += f.size;
            log_("The other device offers " + std::to_string(m.manifest.files.size()) +
                 (m.manifest.files.size() == 1 ? " file" : " files") + " (" + format_bytes(static_cast<double>(total)) + ")");
          } else if constexpr (std::is_same_v<T, transfer::cmd::Accepted>) {
            // Sinks open only now: nothing of an offer touches the disk before the person accepts.
            const auto& man = *incoming_.at(id).receiver.manifest();
            uint64_t total = 0;
            for (const auto& f : man.files) {
              if (!std::binary_search(m.file_ids.begin(), m.file_ids.end(), f.id)) continue;
              total += f.size;
              emit_(cmd::OpenSink{id, f.id, f.name, f.size, state_key(id) + "-" + std::to_string(f.id), false, f.mime, f.dir});
            }
            log_("Receiving " + std::to_string(m.file_ids.size()) + (m.file_ids.size() == 1 ? " file" : " files") +
                 (m.file_ids.size() < man.files.size() ? " of " + std::to_string(man.files.size()) : std::string()) +
                 " (" + format_bytes(static_cast<double>(total)) + ")");
          } else if constexpr (std::is_same_v<T, transfer::cmd::TransferDeclined>) {
            log_("Declined the files");
          } else if constexpr (std::is_same_v<T, transfer::cmd::Write> || std::is_same_v<T, transfer::cmd::WriteInPlace>) {
            write(id, m.file_id, m.offset, m.bytes);
          } else if constexpr (std::is_same_v<T, transfer::cmd::ReadBack>) {
            emit_(cmd::ReadSink{id, m.file_id, m.index, m.offset, m.length});
          } else if constexpr (std::is_same_v<T, transfer::cmd::Send>) {
            send_frame(m.frame);
          } else if constexpr (std::is_same_v<T, transfer::cmd::FileComplete>) {
            emit_(cmd::FinishSink{id, m.file_id});
            const auto& man = incoming_.at(id).receiver.manifest();
            log_("Received " + (man ? man->files.at(m.file_id).name : std::string("a file")) + " (verified)");
          } else if constexpr (std::is_same_v<T, transfer::cmd::FileFailed>) {
            emit_(cmd::AbortSink{id, m.file_id});
            log_("A file failed verification and was discarded: " + m.error.message);
          } else if constexpr (std::is_same_v<T, transfer::cmd::TransferComplete>) {
            log_("All files received");
          } else if constexpr (std::is_same_v<T, transfer::cmd::TransferCancelled>) {
            abort_unfinished();
            log_(m.by_peer ? "The sender cancelled the transfer" : "Transfer cancelled");
          } else if constexpr (std::is_same_v<T, transfer::cmd::Failure>) {
            log_((m.fatal ? "Transfer failed: " : "Rejected a frame: ") + m.error.message);
            if (m.fatal) abort_unfinished();
          }
        },
        c);
  }
  // Saved after the writes above, in command order: the state never claims bytes the platform
  // has not been asked to write first.
  Incoming& in = incoming_.at(id);
  if (in.acked_at_once > 0) {
    // Writes that became commands count as written now (the window's WINDOW goes out after).
    const uint64_t n = std::exchange(in.acked_at_once, 0);
    run_receiver_commands(id, in.receiver.on_written(n));
  }
  in.unsaved_files += completed;
  const size_t files = in.receiver.manifest() ? in.receiver.manifest()->files.size() : 0;
  const bool files_due = in.unsaved_files > 0 && in.unsaved_files >= std::max<size_t>(1, files / kPersistFileSteps);
  if (over) {
    in.unsaved_bytes = 0;
    in.unsaved_files = 0;
    emit_(cmd::DropState{state_key(id)});
  } else if (save || files_due || in.unsaved_bytes >= kPersistEveryBytes) {
    in.unsaved_bytes = 0;
    in.unsaved_files = 0;
    emit_(cmd::SaveState{state_key(id), in.receiver.persist()});
  }
  // Accepting at once goes after the commands above: the HAVE that answers the MANIFEST must
  // reach the sender before the ACCEPT.
  if (offered && accept_all_ && in.receiver.state() == transfer::Receiver::State::kAwaitingAccept) {
    answer(id, all_files(in.receiver));
  }
}

std::vector<uint32_t> DataPlane::all_files(const transfer::Receiver& r) {
  std::vector<uint32_t> ids;
  if (r.manifest()) {
    for (const auto& f : r.manifest()->files) ids.push_back(f.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void DataPlane::answer(uint32_t id, std::vector<uint32_t> file_ids) {
  auto it = incoming_.find(id);
  if (it == incoming_.end()) return;
  auto& r = it->second.receiver;
  if (r.state() != transfer::Receiver::State::kAwaitingAccept) return;
  run_receiver_commands(id, file_ids.empty() ? r.decline() : r.accept(std::move(file_ids)));
}

void DataPlane::answer_all(uint32_t id) {
  auto it = incoming_.find(id);
  if (it != incoming_.end()) answer(id, all_files(it->second.receiver));
}

void DataPlane::set_accept_all(bool on) {
  accept_all_ = on;
  if (!on) return;
  std::vector<uint32_t> waiting;
  for (const auto& [id, in] : incoming_) {
    if (in.receiver.state() == transfer::Receiver::State::kAwaitingAccept) waiting.push_back(id);
  }
  for (const uint32_t id : waiting) answer_all(id);
}

// --- views ----------------------------------------------------------------------------------

int DataPlane::file_handle(uint32_t id, uint32_t file_id) const {
  auto it = outgoing_.find(id);
  if (it == outgoing_.end() || file_id >= it->second.handles.size()) return 0;
  return it->second.handles[file_id];
}

std::vector<TransferView> DataPlane::transfers() const {
  std::vector<TransferView> list;
  for (const auto& [id, out] : outgoing_) {
    TransferView v;
    v.id = id;
    v.outgoing = true;
    if (out.sender) {
      v.state = transfer_state(*out.sender);
      v.paused_here = out.sender->paused_here();
      v.answered = out.sender->answered();
      v.accepted_files = out.sender->accepted_files();
      v.progress = std::make_shared<const transfer::TransferProgress>(out.sender->progress());
      v.bytes_per_second = out.speed.value;
      v.file_bytes_per_second = file_speeds(out.file_speeds, *v.progress);
    } else {
      v.state = TransferState::kWaiting;
      auto p = std::make_shared<transfer::TransferProgress>();
      uint32_t fid = 0;
      for (const auto& f : out.files) {
        p->files.push_back({fid++, f.name, f.size, 0, transfer::FileState::kPending, f.mime, f.dir});
        p->bytes_total += f.size;
      }
      v.progress = std::move(p);
    }
    list.push_back(std::move(v));
  }
  for (const auto& [id, in] : incoming_) {
    TransferView v;
    v.id = id;
    v.outgoing = false;
    v.state = transfer_state(in.receiver);
    // Nothing moves without a connection, whatever the receiver last heard.
    if (!open_ && (v.state == TransferState::kReceiving || v.state == TransferState::kPaused)) {
      v.state = TransferState::kWaiting;
    }
    v.paused_here = in.receiver.paused_here();
    v.progress = in.receiver.shared_progress();
    v.bytes_per_second = in.speed.value;
    v.file_bytes_per_second = file_speeds(in.file_speeds, *v.progress);
    list.push_back(std::move(v));
  }
  return list;
}

bool DataPlane::moving() const {
  for (const auto& [id, out] : outgoing_) {
    if (out.sender && out.sender->state() == transfer::Sender::State::kSending && !out.sender->paused()) return true;
  }
  for (const auto& [id, in] : incoming_) {
    if (open_ && in.receiver.state() == transfer::Receiver::State::kReceiving && !in.receiver.paused()) return true;
  }
  return false;
}

}  // namespace ferry::app
