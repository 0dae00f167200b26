// Bounds-checked little-endian reader for the transfer layer's binary messages (manifest,
// control messages, persisted have-maps). Every read fails softly: a short buffer sets `ok()`
// to false and returns zeros, so parsers check once at the end instead of after every field.
#pragma once

#include <cstdint>
#include <string>

#include "util/bytes.h"

namespace ferry::transfer {

class ByteReader {
 public:
  explicit ByteReader(ByteView bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  size_t remaining() const { return bytes_.size() - pos_; }

  uint8_t u8() { return need(1) ? bytes_[pos_++] : 0; }
  uint16_t u16() { return need(2) ? take(get_u16(bytes_.data() + pos_), 2) : 0; }
  uint32_t u32() { return need(4) ? take(get_u32(bytes_.data() + pos_), 4) : 0; }
  uint64_t u64() { return need(8) ? take(get_u64(bytes_.data() + pos_), 8) : 0; }
  ByteView view(size_t n) {
    if (!need(n)) return {};
    ByteView v = bytes_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  std::string str(size_t n) { return std::string(as_string(view(n))); }

 private:
  bool need(size_t n) {
    if (!ok_ || remaining() < n) ok_ = false;
    return ok_;
  }
  template <class T>
  T take(T v, size_t n) {
    pos_ += n;
    return v;
  }

  ByteView bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace ferry::transfer
