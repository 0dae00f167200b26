// The browser client's platform layer around app::Session: owns the WebSocket, the
// RTCPeerConnection and its DataChannel (and the extra ones of app/lanes.h, each with one
// DataChannel), the chosen files and the save sinks. Each frame it drains the browser event
// queue into the session, carries out the session's commands, and keeps the DataChannels fed:
// CHUNK frames go on the usable lane whose channel holds least, everything else on the primary. The
// UI reads snapshot() and calls the intent methods.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "app/history.h"
#include "app/nearby.h"
#include "app/session.h"
#include "platform/events.h"
#include "platform/peer_connection.h"
#include "platform/storage.h"
#include "platform/websocket.h"

namespace ferry::web {

// Wake lock and path checks need not run on every event: twice a second is plenty.
constexpr double kHousekeepingMs = 500;
// The selected candidate pair is re-read this often, in ms, to show a changed path.
constexpr double kPathQueryMs = 5000;
// Stored partial files and states older than this belong to sessions that cannot resume (a
// room lives 24 h at most) and are deleted at start-up.
constexpr double kAbandonedAfterMs = 48.0 * 3600 * 1000;
// Widget ids of the nearby tiles: this prefix, then the device's presence id.
inline constexpr std::string_view kNearbyTilePrefix = "nearby-";

struct ReceivedFile {
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
  std::string name;
  uint64_t size = 0;
  Handle sink = 0;
  std::string type;  // the MIME type it is offered with: transfer::safe_download_type()
  std::string dir;   // its folder in the transfer's tree ("" at the top)
  std::string tree;  // the storage key prefix of its transfer: the "save all" gesture's arg
  bool in_memory = false;
  bool finished = false;  // verified and committed: may be saved
  bool failed = false;
  bool saved = false;
  bool removed = false;  // its bytes are gone from this device (saved, or the session ended)
};

class Client : public app::DataIo {
 public:
  Client();

  // --- intents from the UI --------------------------------------------------------------------
  void start_from_location();  // a /j/<room>?t=..#secret page joins by itself
  void create_session();
  // A bare number is a password room's code: `password` authenticates the join.
  Status join_code(const std::string& code, const std::string& password = {});
  // The password the next create_session() protects its room with ("" for none). Held in
  // memory only until the room is created.
  void set_room_password(std::string password) { room_password_ = std::move(password); }
  // A password room's link opened (or reloaded without its password): it waits for the
  // person to type the password (join_with_password).
  bool awaiting_password() const { return !pending_link_.empty(); }
  Status join_with_password(const std::string& password);
  // After a wrong password on a password room's link: ask for it again.
  void retry_password();
  bool can_retry_password() const;
  // Leave: ends the session and removes what it received from this device (partial files,
  // their states, finished files), except finished unsaved files when keep_until_saved().
  void close_session();
  // Forgets this tab's join record (Leave, Start over): a reload then starts afresh.
  void forget_join();
  // The setting "keep received files until I save them" (this tab's sessionStorage). Off by
  // default: files are removed when the session ends.
  bool keep_until_saved() const { return keep_until_saved_; }
  void set_keep_until_saved(bool keep);

  // Events in, commands out, keep the channel fed. Runs from the glue's microtask drain after
  // browser events, and once per rendered frame; never re-entered.
  void process(double now_ms);
  // A batch of data (platform/events.h): DataChannel and relay frames (opened in place), file
  // reads and read-backs. Queued events are dispatched first, so a channel's "open" comes
  // before its first message; then the batch, then everything process() does.
  void deliver(std::span<DataEntry> table, std::span<uint8_t> data, double now_ms);

  // app::DataIo: the bulk, at once.
  void send_frame(ByteView frame, bool via_server) override;
  void write(uint32_t transfer_id, uint32_t file_id, uint64_t offset, ByteView bytes) override;

  app::Snapshot snapshot() const { return session_->snapshot(); }
  // Changes whenever process() did anything: the frame loop repaints only then (and on input).
  uint64_t version() const { return version_; }
  const std::deque<app::LogLine>& log() const { return session_->log(); }
  const std::vector<ReceivedFile>& received() const { return received_; }
  app::Session& session() { return *session_; }
  // Durable receiver state (resume after a reload) and the clean-up of abandoned partials.
  Storage& storage() { return storage_; }
  const std::string& storage_mode() const { return storage_mode_; }
  bool can_save_as() const { return can_save_as_; }
  // A received tree can be saved into a folder the person picks (else: one ZIP download).
  bool can_pick_folder() const { return can_pick_folder_; }
  // Tells the page the empty folders of a received tree (once per tree), for its "save all".
  void tell_tree_dirs(const std::string& tree, const std::vector<std::string>& dirs);
  bool has_session() const { return session_->snapshot().phase != app::Phase::kIdle; }
  // Page-level events for the UI (text typed into overlay fields, gestures, copies).
  std::vector<BrowserEvent> take_ui_events() { return std::exchange(ui_events_, {}); }
  // Such events wait for the next frame: they are a person's input (a DOM button pressed, a box
  // ticked), so the frame loop paints at once (web/main.cpp).
  bool has_ui_events() const { return !ui_events_.empty(); }
  // This device's history of transfers, newest first (app/history.h; IndexedDB only).
  const std::vector<app::HistoryEntry>& history() const { return history_; }
  void clear_history();
  // Nearby devices (app/nearby.h): this page's presence while it shows the home screen, with a
  // connection of its own. Null when the page opened a link (it joins, it shows no tiles).
  const app::Nearby* nearby() const { return nearby_.get(); }
  // The "hide this device" switch (kept per browser in localStorage).
  void set_nearby_hidden(bool hidden);
  // Why a link in the address bar could not be used (shown on the home screen).
  const std::string& join_error() const { return join_error_; }

 private:
  void dispatch(BrowserEvent& ev);
  void dispatch_events();
  void run_commands();  // the session's commands, until it has none
  void on_data(const DataEntry& entry, std::span<uint8_t> bytes);
  void housekeeping(double now_ms);  // wake lock, connection path, history
  void record_history();             // transfers that ended go into the history
  void pump();
  void sweep_storage();
  void save_join();
  // A reloaded tab's saved incoming transfers (OPFS), so the sender sends only what is missing.
  void restore_saved_transfers(const std::string& resume);
  void on_files_chosen(const std::string& json);
  void run(app::Command& c);
  void set_up_peer(bool offerer, const std::string& ice_servers_json);
  void wire_channel();
  void set_up_lane(uint32_t lane, bool offerer, const std::string& ice_servers_json);
  void wire_lane(uint32_t lane);
  void close_lane(uint32_t lane);
  // The channel the next CHUNK goes on (the primary's, or a usable lane's), and the least any
  // of them holds (what pumping asks the senders about).
  DataChannel& chunk_channel();
  uint64_t least_buffered();
  bool primary_short_queue_ = false;  // the primary's bufferedamountlow threshold is the lanes
  ReceivedFile* find_received(Handle sink);
  uint64_t in_memory_bytes() const;  // what received files hold in memory now

  app::SessionOptions session_options() const;
  // Nearby: the presence connection follows the machine; an invitation joins while at home.
  void start_nearby();
  void nearby_process(double now_ms);

  std::unique_ptr<app::Nearby> nearby_;
  WebSocket nearby_ws_;
  double nearby_now_ms_ = 0;
  // The picker that chose the next files ("files_target": a nearby tile's widget id), if any.
  std::string files_target_;

  std::string origin_;
  uint32_t lanes_wanted_ = app::kDefaultLanes;  // the page's ?lanes=N (1: no striping)
  std::unique_ptr<app::Session> session_;
  WebSocket ws_;
  PeerConnection pc_;
  DataChannel dc_;
  // The extra connections (app/lanes.h), by lane number; [0] is unused (the primary is above).
  struct Lane {
    PeerConnection pc;
    DataChannel dc;
  };
  std::array<Lane, protocol::kMaxLanes> lanes_;
  Storage storage_;
  std::string storage_mode_;
  bool can_save_as_ = false;
  bool can_pick_folder_ = false;
  std::set<std::string> trees_told_;

  // File reads in flight: request id -> (transfer, file, index).
  struct PendingRead {
    uint32_t transfer_id, file_id;
    uint64_t index;
  };
  std::map<int, PendingRead> reads_;
  std::map<int, PendingRead> sink_reads_;
  int next_request_ = 1;
  std::vector<ReceivedFile> received_;
  std::map<std::pair<uint32_t, uint32_t>, size_t> received_index_;
  double last_path_query_ = 0;
  std::string join_error_;
  bool swept_ = false;
  app::HistoryRecorder history_recorder_;
  std::vector<app::HistoryEntry> history_;
  std::string room_password_;  // set_room_password, until create_session
  // A password room's link waiting for its password, and the resume token it came with.
  std::string pending_link_, pending_resume_;
  std::string join_password_;  // the password this tab joined with (for a reload)
  // A joiner's record for a reload of this tab (sessionStorage, never the URL): the link with
  // its secret, the current resume token and the verification words shown.
  std::string join_link_;
  std::string saved_record_;  // the record last written, so it is written only on change
  bool keep_until_saved_ = false;
  bool wake_lock_ = false;
  double last_housekeeping_ = 0;
  bool processing_ = false;
  uint64_t version_ = 0;
  std::vector<BrowserEvent> ui_events_;
  // Writes to memory sinks are done when made: acknowledged (flow control) right after the
  // data plane's call returns, never from inside it.
  std::vector<std::pair<uint32_t, uint64_t>> memory_acks_;
  void flush_memory_acks();
};

}  // namespace ferry::web
