// Progress snapshots that the UI reads each frame; it never owns transfer state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::transfer {

enum class FileState : uint8_t {
  kPending,    // nothing of it moved yet in this connection
  kActive,     // some chunks moved
  kVerifying,  // receiver: every chunk is here, the whole-file hash is not yet checked
  kComplete,   // receiver: hash matched; sender: receiver confirmed
  kFailed,     // hash mismatch or the transfer failed
  kSkipped,    // the receiver did not accept this file: nothing of it moves
};

struct FileProgress {
  uint32_t file_id = 0;
  std::string name;
  uint64_t size = 0;
  uint64_t bytes_done = 0;  // sender: sent or known received; receiver: verified and written
  FileState state = FileState::kPending;
  std::string mime;  // the manifest's type, for the offer panel ("" if unknown)
  std::string dir = {};  // its folder in the transfer's tree ("" at the top)
};

struct TransferProgress {
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;  // of the files that move (skipped files count nothing)
  bool paused = false;  // by either side
  size_t files_complete = 0;  // files in FileState::kComplete
  std::vector<FileProgress> files;
  std::vector<std::string> empty_dirs;  // folders of the tree with nothing in them
};

}  // namespace ferry::transfer
