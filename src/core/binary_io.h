// kefu's own binary files (the kb embedding, the vector index): a writer, a reader that checks
// every length, and a frame of a magic string in front and a 64-bit FNV-1a checksum behind.
//
//   ByteWriter w;
//   w.Bytes(kMagic);
//   w.U32(dim);
//   AppendChecksum(w.str());
//   ...
//   KEFU_ASSIGN_OR_RETURN(std::string_view body, OpenChecksummed(bytes, kMagic));
//   ByteReader r(body);
//   if (!r.U32(dim)) return InvalidArgumentError("truncated");
//
// Values are written in the machine's byte order: the files are caches of this build, not an
// exchange format.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/file_util.h"
#include "core/result.h"

namespace kefu {

class ByteWriter {
 public:
  void Bytes(std::string_view b) { out_.append(b); }
  void U32(uint32_t v) { Put(v); }
  void U64(uint64_t v) { Put(v); }
  void Floats(std::span<const float> v) {
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  }
  template <typename T>
  void Put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// Reads from a buffer; every read checks the remaining length first and returns false, reading
// nothing, when too few bytes are left.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T& v) {
    if (sizeof(T) > in_.size() - pos_) {
      return false;
    }
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool U32(uint32_t& v) { return Get(v); }
  bool U64(uint64_t& v) { return Get(v); }
  bool Bytes(size_t n, std::string_view& out) {
    if (n > in_.size() - pos_) {
      return false;
    }
    out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Bytes(size_t n, const char*& out) {
    std::string_view view;
    if (!Bytes(n, view)) {
      return false;
    }
    out = view.data();
    return true;
  }
  bool Floats(size_t n, std::vector<float>& out) {
    if (n > (in_.size() - pos_) / sizeof(float)) {
      return false;
    }
    out.resize(n);
    if (n > 0) {
      std::memcpy(out.data(), in_.data() + pos_, n * sizeof(float));
    }
    pos_ += n * sizeof(float);
    return true;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// Appends the FNV-1a of everything in `bytes` (magic included).
inline void AppendChecksum(std::string& bytes) {
  const uint64_t h = Fnv1a64(bytes);
  bytes.append(reinterpret_cast<const char*>(&h), sizeof(h));
}

// Checks that `bytes` start with `magic` and end with the checksum AppendChecksum wrote, and
// returns what lies between. kInvalidArgument "wrong file type" or "checksum mismatch
// (truncated or corrupt)"; callers add which file.
inline Result<std::string_view> OpenChecksummed(std::string_view bytes, std::string_view magic) {
  if (bytes.size() < magic.size() + sizeof(uint64_t) || bytes.substr(0, magic.size()) != magic) {
    return InvalidArgumentError("wrong file type");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - sizeof(uint64_t));
  uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + body.size(), sizeof(stored));
  if (stored != Fnv1a64(body)) {
    return InvalidArgumentError("checksum mismatch (truncated or corrupt)");
  }
  return body.substr(magic.size());
}

}  // namespace kefu
