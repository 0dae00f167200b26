// The receiver's durable storage beside the received files: small named states (the have-map
// of a partial file, so a reloaded page can resume it) and the clean-up of abandoned partials.
// The bytes live in OPFS as ferry-incoming/<key>.state, written by the storage worker
// (shell/storage-worker.js) through platform/js/storage.js; the files themselves are save sinks.
//
// Implements: write (durable only after every sink write posted before it, so a state never
// claims bytes the disk lacks), list by key prefix, delete, sweep by age. (Backpressure when the
// disk is slower than the network: the sinks' `written` acks feed the receivers' flow control.)
// Lacks: anything without OPFS (plain http pages): writes are dropped, lists come back empty.
// Keys become file names: characters outside [A-Za-z0-9_-] turn into '_'.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "platform/events.h"
#include "util/bytes.h"

namespace ferry::web {

class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Replaces the state stored under key.
  void write_state(const std::string& key, ByteView bytes);
  // Answers with on_state once per stored state whose key starts with prefix, then on_listed.
  void list_states(const std::string& prefix);
  void delete_state(const std::string& key);
  // Deletes stored files (partials and states) whose names do not start with keep_prefix and
  // that nobody wrote for max_age_ms. Answers on_swept(count).
  void sweep(const std::string& keep_prefix, double max_age_ms);

  void on_state(std::function<void(const std::string& key, Bytes&& bytes)> f) {
    on_state_ = std::move(f);
  }
  void on_listed(std::function<void()> f) { on_listed_ = std::move(f); }
  void on_swept(std::function<void(int count)> f) { on_swept_ = std::move(f); }
  // A state could not be stored or listed, or the storage worker failed.
  void on_error(std::function<void(const std::string& message)> f) { on_error_ = std::move(f); }

  // Returns true if the event was storage's.
  bool dispatch(BrowserEvent& ev);

 private:
  Handle handle();  // opened on first use

  Handle handle_ = 0;
  std::function<void(const std::string&, Bytes&&)> on_state_;
  std::function<void()> on_listed_;
  std::function<void(int)> on_swept_;
  std::function<void(const std::string&)> on_error_;
};

}  // namespace ferry::web
