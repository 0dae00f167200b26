// The browser client's platform layer. See client.h.
#include "client.h"

#include <emscripten/val.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <span>
#include <cstdint>
#include <type_traits>

#include <sodium.h>

#include "protocol/frame.h"
#include "protocol/signal.h"
#include "session/link.h"
#include "transfer/download_type.h"
#include "transfer/memory_budget.h"

namespace ferry::web {

using nlohmann::json;

namespace {
// Module.ferryGlue, looked up once.
const emscripten::val& glue() {
  static const emscripten::val g = emscripten::val::module_property("ferryGlue");
  return g;
}
constexpr const char* kChannelLabel = "ferry";
// An extra lane's channel: "ferry-lane1" ... (the glue counts chunks per label).
constexpr const char* kLaneLabelPrefix = "ferry-lane";

// "?lanes=N" in the page's query (1 .. protocol::kMaxLanes): how many connections A stripes
// over on a far direct path; a switch for benchmarks and for trouble. Anything else: the default.
uint32_t lanes_from_query(const std::string& search) {
  for (size_t at = search.find("lanes="); at != std::string::npos;
       at = search.find("lanes=", at + 1)) {
    if (at == 0 || (search[at - 1] != '?' && search[at - 1] != '&')) continue;
    const size_t v = at + 6;
    if (v + 1 <= search.size() && search[v] >= '1' && search[v] <= '9' &&
        (v + 1 == search.size() || search[v + 1] == '&')) {
      const uint32_t n = static_cast<uint32_t>(search[v] - '0');
      if (n <= protocol::kMaxLanes) return n;
    }
  }
  return app::kDefaultLanes;
}

// The browser's CSPRNG in one call per draw (crypto.getRandomValues takes at most 64 KiB), for
// the session's random pool: libsodium's wasm randombytes makes one JS call per 4 bytes.
constexpr size_t kMaxGetRandomValuesBytes = 65536;
void browser_random(uint8_t* out, size_t len) {
  for (size_t at = 0; at < len; at += kMaxGetRandomValuesBytes) {
    const size_t n = std::min(kMaxGetRandomValuesBytes, len - at);
    glue().call<void>("randomFill", reinterpret_cast<uintptr_t>(out + at), static_cast<double>(n));
  }
}
RandomFn session_random() { return pooled_random(browser_random); }

}  // namespace

Client::Client() {
  emscripten::val loc = glue().call<emscripten::val>("location");
  origin_ = loc["origin"].as<std::string>();
  storage_mode_ = glue().call<std::string>("storageMode");
  can_save_as_ = glue().call<bool>("canSaveAs");
  can_pick_folder_ = glue().call<bool>("canPickFolder");
  keep_until_saved_ = glue().call<bool>("keepUntilSaved");
  lanes_wanted_ = lanes_from_query(loc["search"].as<std::string>());
  session_ = std::make_unique<app::Session>(session_options());
  session_->set_data_io(this);
  if (storage_mode_ == "opfs") {
    storage_.on_error([this](const std::string& m) { session_->on_storage_error(m); });
  }
  glue().call<void>("historyLoad");
}

void Client::record_history() {
  const app::Snapshot s = session_->snapshot();
  for (const auto& e : history_recorder_.take_new(s.transfers, s.sas)) glue().call<void>("historyAdd", app::to_json(e));
}

void Client::clear_history() {
  history_.clear();
  glue().call<void>("historyClear");
}

app::SessionOptions Client::session_options() const {
  app::SessionOptions o{origin_, session_random()};
  o.lanes = lanes_wanted_;
  return o;
}

// Partial files of sessions that cannot be resumed any more (rooms live 24 h at most), once a
// session of this page starts.
void Client::sweep_storage() {
  if (swept_ || storage_mode_ != "opfs") return;
  swept_ = true;
  storage_.sweep("", kAbandonedAfterMs);
}

// The join record of this tab, in sessionStorage: {"link", "resume", "sas", "password"}. A
// reload of the tab resumes from it; a copied, bookmarked or synced URL carries none of it.
// "password": a password room's password, kept for the reload as the link secret is.
namespace {
struct JoinRecord {
  std::string link, resume, sas, password;
};
JoinRecord load_join_record() {
  const json j = json::parse(glue().call<std::string>("loadJoin"), nullptr, false);
  JoinRecord r;
  if (!j.is_object()) return r;
  for (auto [key, field] : {std::pair{"link", &r.link}, std::pair{"resume", &r.resume}, std::pair{"sas", &r.sas},
                            std::pair{"password", &r.password}}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) *field = it->get<std::string>();
  }
  return r;
}
}  // namespace

void Client::start_from_location() {
  emscripten::val loc = glue().call<emscripten::val>("location");
  const std::string path = loc["path"].as<std::string>();
  JoinRecord rec;
  if (path.rfind("/j/", 0) == 0 && !loc["hash"].as<std::string>().empty()) {
    // A link just opened. (Links of older versions kept ".<resume token>" in the fragment.)
    std::string hash = loc["hash"].as<std::string>();
    if (const size_t dot = hash.find('.'); dot != std::string::npos) {
      rec.resume = hash.substr(dot + 1);
      hash.resize(dot);
    }
    rec.link = origin_ + path + loc["search"].as<std::string>() + hash;
  } else {
    rec = load_join_record();  // a reload of a tab that had joined
  }
  if (path.rfind("/j/", 0) == 0) {
    // Secrets leave the address bar as soon as they are parsed: room, token and link secret.
    glue().call<void>("clearAddress", std::string("/"));
  }
  if (rec.link.empty()) {
    start_nearby();  // the home screen: this page shows its nearby devices
    return;
  }
  sweep_storage();
  session_->set_previous_sas(rec.sas);
  const std::string& resume = rec.resume;
  if (auto parsed = session::parse_link(rec.link); parsed && parsed->needs_password() && rec.password.empty()) {
    // A password room: the home screen asks for the password first.
    pending_link_ = rec.link;
    pending_resume_ = resume;
    return;
  }
  join_password_ = rec.password;
  const Status st = session_->join_link(rec.link, resume, rec.password);
  if (!st) {
    // Keep the error visible on the home screen.
    session_ = std::make_unique<app::Session>(session_options());
    session_->set_data_io(this);
    join_error_ = st.error().message;
    forget_join();
    return;
  }
  join_link_ = rec.link;
  save_join();
  restore_saved_transfers(resume);
}

Status Client::join_with_password(const std::string& password) {
  if (pending_link_.empty()) return make_error("no_link", "There is no link waiting for a password.");
  const Status st = session_->join_link(pending_link_, pending_resume_, password);
  if (!st) return st;
  join_link_ = std::exchange(pending_link_, std::string());
  join_password_ = password;
  save_join();
  restore_saved_transfers(std::exchange(pending_resume_, std::string()));
  return Ok{};
}

bool Client::can_retry_password() const {
  const app::Snapshot s = session_->snapshot();
  if (s.phase != app::Phase::kFailed || !s.error || s.error->code != "wrong_password" || join_link_.empty()) return false;
  auto parsed = session::parse_link(join_link_);
  return parsed && parsed->needs_password();
}

// A fresh page for the next try, as "Start over" does, that remembers only the link: it asks
// for the password again (start_from_location).
void Client::retry_password() {
  if (!can_retry_password()) return;
  const json j{{"link", join_link_}};
  // Nothing else may rewrite the record before the page goes (the wrong password with it would
  // be tried again on load, spending another of the room's guesses).
  join_link_.clear();
  join_password_.clear();
  saved_record_ = j.dump();
  glue().call<void>("saveJoin", saved_record_);
  emscripten::val::global("location").set("href", std::string("/"));
}

void Client::restore_saved_transfers(const std::string& resume) {
  if (!resume.empty() && storage_mode_ == "opfs") {
    // A reloaded tab: what it saved of its incoming transfers (their files are on disk), so the
    // sender sends only what is missing. The list arrives long before the handshake is done.
    const std::string prefix = session_->storage_prefix();
    storage_.on_state([this, prefix](const std::string& key, Bytes&& bytes) {
      if (key.size() <= prefix.size() || key.compare(0, prefix.size(), prefix) != 0) return;
      const std::string id = key.substr(prefix.size());
      // A transfer id is a u32 in decimal (ids start at random below 2^30, so 10 digits occur).
      if (id.empty() || id.size() > 10 || id.find_first_not_of("0123456789") != std::string::npos) return;
      const unsigned long long n = std::stoull(id);
      if (n > UINT32_MAX) return;
      session_->restore_incoming(static_cast<uint32_t>(n), std::move(bytes));
    });
    storage_.list_states(prefix);
  }
}

void Client::create_session() {
  sweep_storage();
  session_->create(room_password_);
  sodium_memzero(room_password_.data(), room_password_.size());
  room_password_.clear();
}

Status Client::join_code(const std::string& code, const std::string& password) {
  sweep_storage();
  return session_->join_code(code, password);
}

void Client::save_join() {
  json j{{"link", join_link_}, {"resume", session_->resume_token()}, {"sas", session_->snapshot().sas}};
  if (!join_password_.empty()) j["password"] = join_password_;
  std::string text = j.dump();
  if (text == saved_record_) return;
  saved_record_ = std::move(text);
  glue().call<void>("saveJoin", saved_record_);
}

void Client::forget_join() {
  join_link_.clear();
  join_password_.clear();
  pending_link_.clear();
  saved_record_.clear();
  glue().call<void>("saveJoin", std::string());
}

void Client::close_session() {
  record_history();
  forget_join();
  const std::string prefix = session_->storage_prefix();
  session_->close();
  for (auto& c : session_->take_commands()) run(c);
  // Received plaintext does not outlive the session on this device: partial files and their
  // states go (there is nothing left to resume), and so do finished files, unless the person
  // asked to keep them until saved.
  std::vector<uint32_t> transfers;
  for (auto& f : received_) {
    if (f.removed || (f.finished && !f.saved && keep_until_saved_)) continue;
    if (f.sink != 0) glue().call<void>("sinkAbort", f.sink);
    f.removed = true;
    if (!f.finished) f.failed = true;
    if (std::find(transfers.begin(), transfers.end(), f.transfer_id) == transfers.end()) {
      transfers.push_back(f.transfer_id);
    }
  }
  if (storage_mode_ == "opfs" && !prefix.empty()) {
    for (uint32_t id : transfers) storage_.delete_state(prefix + std::to_string(id));
  }
}

void Client::start_nearby() {
  std::string name = glue().call<std::string>("nearbyName");
  if (!app::usable_device_name(name)) {
    // Made here, from a word list, and kept per browser: the server never names a device.
    name = app::generate_device_name(session_random());
    glue().call<void>("setNearbyName", name);
  }
  const auto device = app::device_type_from_user_agent(glue().call<std::string>("userAgent"));
  nearby_ = std::make_unique<app::Nearby>(name, device, !glue().call<bool>("nearbyHidden"));
  nearby_ws_.on_open([this] { nearby_->on_open(); });
  nearby_ws_.on_text([this](const std::string& t) {
    nearby_->on_message(t);
    ++version_;
  });
  nearby_ws_.on_closed([this](int, const std::string&) { nearby_->on_closed(nearby_now_ms_); });
}

void Client::set_nearby_hidden(bool hidden) {
  if (!nearby_) return;
  nearby_->set_visible(!hidden);
  glue().call<void>("setNearbyHidden", hidden);
  // From the UI's frame: sent now, not at the next browser event (an idle page may have none).
  for (const auto& text : nearby_->take_outgoing()) nearby_ws_.send(text);
  ++version_;
}

void Client::nearby_process(double now_ms) {
  if (!nearby_) return;
  nearby_now_ms_ = now_ms;
  const bool home = session_->phase() == app::Phase::kIdle && !awaiting_password();
  if (!home) {
    if (nearby_->state() != app::Nearby::State::kStopped) {
      nearby_->stop();
      nearby_ws_.close(1000, "busy");
      ++version_;
    }
    return;
  }
  nearby_->start(now_ms);
  if (nearby_->wants_open(now_ms)) {
    nearby_ws_.open(glue().call<std::string>("signalUrl"), std::string(protocol::kSignalSubprotocol));
  }
  for (const auto& text : nearby_->take_outgoing()) nearby_ws_.send(text);
  if (auto inv = nearby_->take_invitation()) {
    // The accept panel is where the person decides: joining only lets the offer arrive.
    sweep_storage();
    const Status st = session_->join_nearby(inv->room, inv->token, inv->from.name);
    if (!st) session_->note("Could not answer a nearby device: " + st.error().message);
    ++version_;
  }
}

void Client::set_keep_until_saved(bool keep) {
  keep_until_saved_ = keep;
  glue().call<void>("setKeepUntilSaved", keep);
}

uint64_t Client::in_memory_bytes() const {
  uint64_t total = 0;
  for (const auto& f : received_) {
    if (f.in_memory && !f.failed && !f.removed) total += f.size;
  }
  return total;
}

void Client::dispatch_events() {
  auto& queue = event_queue();
  // Bounded per call so a flood of events cannot freeze the page.
  if (!queue.empty()) ++version_;
  for (int n = 0; n < 4096 && !queue.empty(); ++n) {
    BrowserEvent ev = std::move(queue.front());
    queue.pop_front();
    dispatch(ev);
  }
}

void Client::run_commands() {
  for (int round = 0; round < 8 && session_->has_commands(); ++round) {
    auto cmds = session_->take_commands();
    for (auto& c : cmds) run(c);
    pump();
  }
}

void Client::process(double now_ms) {
  if (processing_) return;  // a JS call made from here must not run us again
  processing_ = true;
  dispatch_events();
  nearby_process(now_ms);
  flush_memory_acks();
  session_->tick(now_ms);
  pump();
  run_commands();
  if (!join_link_.empty()) save_join();
  if (now_ms - last_housekeeping_ >= kHousekeepingMs) {
    last_housekeeping_ = now_ms;
    housekeeping(now_ms);
  }
  processing_ = false;
}

void Client::deliver(std::span<DataEntry> table, std::span<uint8_t> data, double now_ms) {
  if (processing_) return;
  processing_ = true;
  dispatch_events();
  run_commands();
  if (!table.empty()) ++version_;
  size_t at = 0;
  for (const DataEntry& e : table) {
    on_data(e, data.subspan(at, e.length));
    at += e.length;
    flush_memory_acks();
    // What a message asked for (sinks to open, reads) is carried out before the next one, so
    // commands and the bulk the data plane hands over directly keep their order.
    if (session_->has_commands()) run_commands();
  }
  processing_ = false;
  process(now_ms);
}

void Client::on_data(const DataEntry& e, std::span<uint8_t> bytes) {
  switch (e.kind) {
    case DataKind::kChannel: {
      const Handle h = static_cast<Handle>(e.handle);
      bool ours = dc_.is_open() && h == dc_.handle();
      for (uint32_t lane = 1; lane < lanes_.size() && !ours; ++lane) {
        ours = lanes_[lane].dc.is_open() && h == lanes_[lane].dc.handle();
      }
      if (ours) session_->on_channel_message_in_place(bytes);
      break;
    }
    case DataKind::kServer:
      if (static_cast<Handle>(e.handle) == ws_.handle()) session_->on_server_binary_in_place(bytes);
      break;
    case DataKind::kFileRead: {
      auto it = reads_.find(static_cast<int>(e.id));
      if (it == reads_.end()) return;
      const PendingRead r = it->second;
      reads_.erase(it);
      session_->on_file_read(r.transfer_id, r.file_id, r.index, bytes);
      break;
    }
    case DataKind::kSinkRead: {
      auto it = sink_reads_.find(static_cast<int>(e.id));
      if (it == sink_reads_.end()) return;
      const PendingRead r = it->second;
      sink_reads_.erase(it);
      session_->on_sink_read(r.transfer_id, r.file_id, r.index, bytes);
      break;
    }
  }
}

void Client::send_frame(ByteView frame, bool via_server) {
  if (via_server) {
    ws_.send_binary(frame);
  } else if (frame.size() > 1 && frame[1] == static_cast<uint8_t>(protocol::FrameType::kChunk)) {
    chunk_channel().send(frame);
  } else {
    dc_.send(frame);  // CONTROL frames keep their order on the primary
  }
}

// With lanes the figures are asked afresh (a few calls per chunk, on paths far too slow for
// them to cost anything): the cached one of a lane not sent on lately is stale and high.
DataChannel& Client::chunk_channel() {
  std::array<uint64_t, protocol::kMaxLanes> buffered;
  buffered.fill(app::kNotALane);
  bool lanes = false;
  for (uint32_t lane = 1; lane < lanes_.size(); ++lane) {
    if (session_->lane_usable(lane) && lanes_[lane].dc.is_open()) {
      buffered[lane] = lanes_[lane].dc.refresh_buffered_amount();
      lanes = true;
    }
  }
  if (!lanes) return dc_;
  buffered[0] = dc_.refresh_buffered_amount();
  const uint32_t lane = app::pick_lane(buffered);
  return lane == 0 ? dc_ : lanes_[lane].dc;
}

uint64_t Client::least_buffered() {
  uint64_t least = dc_.buffered_amount();
  bool lanes = false;
  for (uint32_t lane = 1; lane < lanes_.size(); ++lane) {
    if (session_->lane_usable(lane) && lanes_[lane].dc.is_open()) {
      least = std::min<uint64_t>(least, lanes_[lane].dc.refresh_buffered_amount());
      lanes = true;
    }
  }
  return lanes ? std::min<uint64_t>(least, dc_.refresh_buffered_amount()) : least;
}

void Client::flush_memory_acks() {
  for (const auto& [transfer_id, bytes] : std::exchange(memory_acks_, {})) session_->on_sink_written(transfer_id, bytes);
}

void Client::write(uint32_t transfer_id, uint32_t file_id, uint64_t offset, ByteView bytes) {
  auto it = received_index_.find({transfer_id, file_id});
  if (it == received_index_.end()) return;
  if (received_[it->second].in_memory) memory_acks_.emplace_back(transfer_id, bytes.size());
  // Pointer and length into wasm memory: storage.js copies it into its write batch at once.
  glue().call<void>("sinkWrite", received_[it->second].sink, static_cast<double>(offset),
                    reinterpret_cast<uintptr_t>(bytes.data()), static_cast<double>(bytes.size()));
}

// Lets the session queue more reads when the path it sends on has room.
void Client::pump() {
  // Short queues while lanes carry the data (app/lanes.h): the primary's threshold follows.
  const bool short_queues = session_->short_queues();
  if (short_queues != primary_short_queue_ && dc_.handle() != 0) {
    dc_.set_buffered_low_threshold(short_queues ? app::kLaneLowWatermarkBytes
                                                : transfer::kLowWatermarkBytes);
    primary_short_queue_ = short_queues;
  }
  switch (session_->transport()) {
    case app::Transport::kDirect:
      if (dc_.is_open()) session_->pump(least_buffered());
      break;
    case app::Transport::kServer:
      if (ws_.is_open()) session_->pump(ws_.buffered_amount());
      break;
    case app::Transport::kNone:
      break;
  }
}

void Client::housekeeping(double now_ms) {
  const bool moving = session_->transfers_moving();
  if (moving != wake_lock_) {
    wake_lock_ = moving;
    glue().call<void>("wakeLock", moving);
  }
  if (pc_.handle() != 0 && dc_.is_open() && now_ms - last_path_query_ > kPathQueryMs) {
    last_path_query_ = now_ms;
    pc_.query_path();  // the path can change (ICE restart, network change); its round trip too
  }
  record_history();
}

void Client::dispatch(BrowserEvent& ev) {
  if (ws_.dispatch(ev) || nearby_ws_.dispatch(ev) || pc_.dispatch(ev) || dc_.dispatch(ev) || storage_.dispatch(ev)) return;
  for (uint32_t lane = 1; lane < lanes_.size(); ++lane) {
    if (lanes_[lane].pc.dispatch(ev) || lanes_[lane].dc.dispatch(ev)) return;
  }
  if (ev.kind == "read_error") {  // on handle 0: the file may be gone
    auto it = reads_.find(static_cast<int>(ev.number));
    if (it == reads_.end()) return;
    const uint32_t transfer_id = it->second.transfer_id;
    reads_.erase(it);
    session_->on_file_read_error(transfer_id, ev.text);
    return;
  }
  if (ev.handle == 0) {
    if (ev.kind == "files_target") {
      files_target_ = ev.text;
    } else if (ev.kind == "files") {
      on_files_chosen(ev.text);
    } else if (ev.kind == "tree_saved") {
      session_->note("Saved " + std::to_string(static_cast<long long>(ev.number)) + " files with their folders");
    } else if (ev.kind == "tree_error") {
      session_->note("Could not save the files: " + ev.text);
    } else if (ev.kind == "drop_error") {
      session_->note("Nothing to send: " + ev.text);
    } else if (ev.kind == "network") {
      session_->on_network_change(ev.text == "online");
    } else if (ev.kind == "history") {
      history_ = app::parse_history(ev.text);
      ++version_;
    } else {
      ui_events_.push_back(std::move(ev));
    }
    return;
  }
  if (ReceivedFile* f = find_received(ev.handle)) {
    if (ev.kind == "finished") {
      f->finished = true;
    } else if (ev.kind == "saved") {
      f->saved = true;
    } else if (ev.kind == "removed") {
      f->removed = true;
    } else if (ev.kind == "written") {
      session_->on_sink_written(f->transfer_id, static_cast<uint64_t>(ev.number));
    } else if (ev.kind == "sink_error") {
      f->failed = true;
      session_->on_sink_error(f->transfer_id, f->file_id, ev.text);
    }
  }
}

void Client::tell_tree_dirs(const std::string& tree, const std::vector<std::string>& dirs) {
  if (dirs.empty() || !trees_told_.insert(tree).second) return;
  glue().call<void>("setTreeDirs", tree, nlohmann::json(dirs).dump());
}

void Client::on_files_chosen(const std::string& text) {
  // {files: [{h, name, size, type, dir}], dirs: [empty folder paths]} from platform/js/files.js.
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("files") || !j["files"].is_array()) return;
  const auto text_of = [](const nlohmann::json& o, const char* key) {
    return o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
  };
  std::vector<transfer::SourceFile> files;
  std::vector<int> handles;
  for (const auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("h") || !f["h"].is_number_integer() || !f.contains("name") ||
        !f["name"].is_string() || !f.contains("size") || !f["size"].is_number()) {
      continue;
    }
    files.push_back({f["name"].get<std::string>(), f["size"].get<uint64_t>(), text_of(f, "type"), text_of(f, "dir")});
    handles.push_back(f["h"].get<int>());
  }
  std::vector<std::string> empty_dirs;
  if (j.contains("dirs") && j["dirs"].is_array()) {
    for (const auto& d : j["dirs"]) {
      if (d.is_string()) empty_dirs.push_back(d.get<std::string>());
    }
  }
  const std::string target = std::exchange(files_target_, std::string());
  if (files.empty()) return;
  // A nearby tile: its files go to that device, through an invitation into a new room.
  const protocol::NearbyDevice* tile = nullptr;
  if (nearby_ && target.rfind(kNearbyTilePrefix, 0) == 0 && !has_session()) {
    tile = nearby_->find(std::string_view(target).substr(kNearbyTilePrefix.size()));
    if (!tile) {
      session_->note("That device is no longer nearby");
      return;
    }
  }
  session_->send_files(std::move(files), std::move(handles), std::move(empty_dirs));
  if (tile) {
    sweep_storage();
    session_->create_nearby(app::NearbyTarget{tile->id, tile->name, nearby_->name(), nearby_->device()});
  } else if (!has_session()) {
    create_session();
  }
}

void Client::set_up_peer(bool offerer, const std::string& ice_servers_json) {
  pc_.create(ice_servers_json);
  pc_.on_local_description([this](const std::string& d) { session_->on_local_description(d); });
  pc_.on_ice_candidate([this](const std::string& c) { session_->on_local_candidate(c); });
  pc_.on_state([this](const std::string& s) { session_->on_peer_state(s); });
  pc_.on_path([this](const std::string& p, double rtt_ms) {
    session_->on_path(p);
    if (rtt_ms >= 0) session_->on_round_trip(rtt_ms);
  });
  pc_.on_error([this](const std::string& m) { session_->on_peer_error(m); });
  pc_.on_data_channel([this](Handle h) {
    dc_.adopt(h);
    wire_channel();
  });
  if (offerer) {
    dc_.adopt(pc_.create_data_channel(kChannelLabel));
    wire_channel();
  }
}

void Client::wire_channel() {
  dc_.set_buffered_low_threshold(transfer::kLowWatermarkBytes);
  primary_short_queue_ = false;
  dc_.on_open([this] {
    session_->on_channel_open(pc_.max_message_size());
    pc_.query_path();
  });
  dc_.on_buffered_low([this] { pump(); });
  dc_.on_closed([this](const std::string&) { session_->on_channel_closed(); });
}

void Client::set_up_lane(uint32_t lane, bool offerer, const std::string& ice_servers_json) {
  Lane& l = lanes_[lane];
  l.dc.close();
  l.pc.create(ice_servers_json);
  l.pc.on_local_description(
      [this, lane](const std::string& d) { session_->on_lane_local_description(lane, d); });
  l.pc.on_ice_candidate(
      [this, lane](const std::string& c) { session_->on_lane_local_candidate(lane, c); });
  l.pc.on_state([this, lane](const std::string& s) { session_->on_lane_state(lane, s); });
  l.pc.on_error([this, lane](const std::string& m) {
    session_->on_peer_error("connection " + std::to_string(lane + 1) + ": " + m);
  });
  l.pc.on_data_channel([this, lane](Handle h) {
    lanes_[lane].dc.adopt(h);
    wire_lane(lane);
  });
  if (offerer) {
    l.dc.adopt(l.pc.create_data_channel(kLaneLabelPrefix + std::to_string(lane)));
    wire_lane(lane);
  }
}

void Client::wire_lane(uint32_t lane) {
  DataChannel& dc = lanes_[lane].dc;
  dc.set_buffered_low_threshold(app::kLaneLowWatermarkBytes);
  dc.on_open([this, lane] { session_->on_lane_open(lane); });
  dc.on_buffered_low([this] { pump(); });
  dc.on_closed([this, lane](const std::string&) { session_->on_lane_closed(lane); });
}

void Client::close_lane(uint32_t lane) {
  lanes_[lane].dc.close();
  lanes_[lane].pc.close();
}

ReceivedFile* Client::find_received(Handle sink) {
  for (auto& f : received_) {
    if (f.sink == sink) return &f;
  }
  return nullptr;
}

void Client::run(app::Command& c) {
  std::visit(
      [&](auto&& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, app::cmd::OpenServer>) {
          ws_.on_open([this] { session_->on_server_open(); });
          ws_.on_text([this](const std::string& t) { session_->on_server_message(t); });
          ws_.on_closed([this](int code, const std::string& why) { session_->on_server_closed(code, why); });
          // This origin's /ws, or the signalling server the deployment names (page.js
          // signalUrl).
          ws_.open(glue().call<std::string>("signalUrl"),
                   std::string(protocol::kSignalSubprotocol));
        } else if constexpr (std::is_same_v<T, app::cmd::SendServer>) {
          ws_.send(m.text);
        } else if constexpr (std::is_same_v<T, app::cmd::CloseServer>) {
          ws_.close(1000, "bye");
        } else if constexpr (std::is_same_v<T, app::cmd::CreatePeer>) {
          if (m.lane >= lanes_.size()) return;
          if (m.lane > 0) {
            set_up_lane(m.lane, m.offerer, m.ice_servers_json);
          } else if (pc_.handle() == 0 || m.offerer) {
            set_up_peer(m.offerer, m.ice_servers_json);
          }
        } else if constexpr (std::is_same_v<T, app::cmd::CreateOffer>) {
          if (m.lane >= lanes_.size()) return;
          (m.lane > 0 ? lanes_[m.lane].pc : pc_).create_offer(m.ice_restart);
        } else if constexpr (std::is_same_v<T, app::cmd::SetRemoteDescription>) {
          if (m.lane >= lanes_.size()) return;
          (m.lane > 0 ? lanes_[m.lane].pc : pc_).set_remote_description(m.json);
        } else if constexpr (std::is_same_v<T, app::cmd::AddIceCandidate>) {
          if (m.lane >= lanes_.size()) return;
          (m.lane > 0 ? lanes_[m.lane].pc : pc_).add_ice_candidate(m.json);
        } else if constexpr (std::is_same_v<T, app::cmd::ClosePeer>) {
          if (m.lane >= lanes_.size()) return;
          if (m.lane > 0) {
            close_lane(m.lane);
            return;
          }
          // The lanes are worth nothing without the primary connection (app/lanes.h).
          for (uint32_t lane = 1; lane < lanes_.size(); ++lane) close_lane(lane);
          dc_.close();
          pc_.close();
        } else if constexpr (std::is_same_v<T, app::cmd::QueryPath>) {
          pc_.query_path();
        } else if constexpr (std::is_same_v<T, app::cmd::SendFrame>) {
          send_frame(m.frame, m.via_server);
        } else if constexpr (std::is_same_v<T, app::cmd::ReadFile>) {
          const int id = next_request_++;
          reads_[id] = {m.transfer_id, m.file_id, m.index};
          glue().call<void>("fileRead", session_->file_handle(m.transfer_id, m.file_id),
                            static_cast<double>(m.offset), static_cast<double>(m.length), id);
        } else if constexpr (std::is_same_v<T, app::cmd::OpenSink>) {
          ReceivedFile f;
          f.transfer_id = m.transfer_id;
          f.file_id = m.file_id;
          f.name = m.name;
          f.size = m.size;
          f.type = transfer::safe_download_type(m.mime);
          f.dir = m.dir;
          f.tree = m.key.substr(0, m.key.rfind('-'));
          f.in_memory = storage_mode_ == "memory";
          // Refused before anything is allocated (transfer/memory_budget.h).
          if (f.in_memory) {
            if (auto refusal = transfer::refuse_in_memory(in_memory_bytes(), m.size)) {
              f.failed = true;
              received_.push_back(f);
              session_->on_sink_error(m.transfer_id, m.file_id, refusal->code + ": " + refusal->message);
              return;
            }
          }
          // The key names the stored file, so a reloaded page finds a partial file again.
          f.sink = glue().call<int>("sinkOpen", storage_mode_, m.key, m.name, static_cast<double>(m.size), m.keep,
                                    f.type, m.dir.empty() ? m.name : m.dir + "/" + m.name);
          received_index_[{m.transfer_id, m.file_id}] = received_.size();
          received_.push_back(f);
        } else if constexpr (std::is_same_v<T, app::cmd::WriteSink>) {
          write(m.transfer_id, m.file_id, m.offset, m.bytes);
        } else if constexpr (std::is_same_v<T, app::cmd::ReadSink>) {
          auto it = received_index_.find({m.transfer_id, m.file_id});
          if (it == received_index_.end()) return;
          const int id = next_request_++;
          sink_reads_[id] = {m.transfer_id, m.file_id, m.index};
          glue().call<void>("sinkRead", received_[it->second].sink, static_cast<double>(m.offset),
                            static_cast<double>(m.length), id);
        } else if constexpr (std::is_same_v<T, app::cmd::FinishSink>) {
          auto it = received_index_.find({m.transfer_id, m.file_id});
          if (it != received_index_.end()) glue().call<void>("sinkFinish", received_[it->second].sink);
        } else if constexpr (std::is_same_v<T, app::cmd::SaveState>) {
          if (storage_mode_ == "opfs") storage_.write_state(m.key, m.state);
        } else if constexpr (std::is_same_v<T, app::cmd::DropState>) {
          if (storage_mode_ == "opfs") storage_.delete_state(m.key);
        } else if constexpr (std::is_same_v<T, app::cmd::AbortSink>) {
          auto it = received_index_.find({m.transfer_id, m.file_id});
          if (it == received_index_.end()) return;
          ReceivedFile& f = received_[it->second];
          f.failed = true;
          f.finished = false;
          glue().call<void>("sinkAbort", f.sink);
        }
      },
      c);
}

}  // namespace ferry::web
