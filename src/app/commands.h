// The commands the client's machines (app::Session and the machines it is made of) issue to
// the platform, which carries them out in order and answers with the matching on_* calls; and
// the transfer rows the UI shows.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "transfer/progress.h"
#include "util/bytes.h"

namespace ferry::app {

// kWaiting also while the connection is down. kAwaitingAnswer: sent, the other device has the
// offer and its person has not answered; kOffered: received, this device's person must accept
// or decline (app::DataPlane::answer); kDeclined: the receiver declined it.
enum class TransferState : uint8_t {
  kWaiting,
  kAwaitingAnswer,
  kOffered,
  kSending,
  kReceiving,
  kPaused,
  kComplete,
  kCancelled,
  kFailed,
  kDeclined,
};
// "waiting", "waiting to be accepted", "offered", "sending", "receiving", "paused",
// "complete", "cancelled", "failed", "declined"
const char* to_string(TransferState state);
// Bytes flow: a transfer neither waits, nor is paused, nor is over.
constexpr bool moving(TransferState state) {
  return state == TransferState::kSending || state == TransferState::kReceiving;
}

// One transfer as the UI shows it (app::DataPlane::transfers()).
struct TransferView {
  uint32_t id = 0;
  bool outgoing = false;
  TransferState state = TransferState::kWaiting;
  bool paused_here = false;  // paused by this side: only this side can resume it
  // Outgoing: the receiver answered, taking `accepted_files` of the transfer's files.
  bool answered = false;
  size_t accepted_files = 0;
  // Shared with the receiver that keeps it (transfer/receiver.h shared_progress()): a snapshot
  // of 10,000 files copies nothing. Never null.
  std::shared_ptr<const transfer::TransferProgress> progress = std::make_shared<const transfer::TransferProgress>();
  double bytes_per_second = 0;
  // Per file, in the order of progress.files (0 for a file not moving now).
  std::vector<double> file_bytes_per_second;
};

namespace cmd {
struct OpenServer {};  // open the WebSocket to <origin>/ws with protocol::kSignalSubprotocol
struct SendServer {
  std::string text;
};
struct CloseServer {};
// The peer-connection commands name a lane (app/lanes.h): 0 is the primary connection, which
// PeerLink drives; 1 .. protocol::kMaxLanes - 1 are the extra connections Lanes drives. Closing
// lane 0 closes every lane (they are worth nothing without it).
struct CreatePeer {
  std::string ice_servers_json;
  bool offerer = false;  // the offerer also creates the DataChannel
  uint32_t lane = 0;
};
struct CreateOffer {
  bool ice_restart = false;
  uint32_t lane = 0;
};
struct SetRemoteDescription {
  std::string json;
  uint32_t lane = 0;
};
struct AddIceCandidate {
  std::string json;
  uint32_t lane = 0;
};
struct ClosePeer {
  uint32_t lane = 0;
};
struct QueryPath {};
struct SendFrame {
  Bytes frame;
  bool via_server = false;  // a binary WebSocket message through the server's relay
};
struct ReadFile {  // a slice of a chosen file; answer with on_file_read
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
  uint64_t index = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
};
struct OpenSink {  // where an incoming file will be written
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
  std::string name;
  uint64_t size = 0;
  std::string key;    // stable storage name: <room>-<transfer>-<file>
  bool keep = false;  // resume: keep the bytes already stored under key
  std::string mime;   // the sender's declared type (the platform offers it only if safe)
  std::string dir;    // its sanitised folder in the transfer's tree ("" at the top)
};
struct SaveState {  // durable receiver state; store it after every write emitted before it
  std::string key;  // <room>-<transfer>
  Bytes state;
};
struct DropState {
  std::string key;
};
struct WriteSink {
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
  uint64_t offset = 0;
  Bytes bytes;
};
struct ReadSink {  // answer with on_sink_read
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
  uint64_t index = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
};
struct FinishSink {  // the file verified: commit it and offer it to the user
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
};
struct AbortSink {  // the file failed or was cancelled: drop what was written
  uint32_t transfer_id = 0;
  uint32_t file_id = 0;
};
}  // namespace cmd

using Command =
    std::variant<cmd::OpenServer, cmd::SendServer, cmd::CloseServer, cmd::CreatePeer,
                 cmd::CreateOffer, cmd::SetRemoteDescription, cmd::AddIceCandidate, cmd::ClosePeer,
                 cmd::QueryPath, cmd::SendFrame, cmd::ReadFile, cmd::OpenSink, cmd::WriteSink,
                 cmd::ReadSink, cmd::FinishSink, cmd::AbortSink, cmd::SaveState, cmd::DropState>;

// Where a machine puts the commands it issues: the session's queue, in order. The machines hold
// no pointer to it (a Session can be moved); it is handed to each call that may issue one.
class CommandSink {
 public:
  virtual void emit(Command c) = 0;

 protected:
  ~CommandSink() = default;
};

}  // namespace ferry::app
