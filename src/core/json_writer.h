// Writes compact JSON straight into a string, for the documents every turn writes (the dialogue
// state, the trace), where building a nlohmann::json tree first costs more than the turn's own
// work. Keys come out in the order they are written; readers look them up by name.
//
//   JsonWriter w;
//   w.BeginObject().Key("lang").String("zh").Key("turns").Int(3);
//   w.Key("orders").BeginArray().String("2026112500000001").EndArray();
//   w.EndObject();
//   std::string json = std::move(w).Take();  // {"lang":"zh","turns":3,"orders":[...]}
//
// Strings are escaped as JSON requires; bytes that are not UTF-8 become U+FFFD, so the output
// always parses. Non-finite doubles are written as null. Misuse (a value where a key is due, an
// unbalanced End) is the caller's bug and is not checked.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace kefu {

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  // The next value belongs to `key` in the open object.
  JsonWriter& Key(std::string_view key) {
    Separate();
    AppendString(key);
    Put(':');
    return *this;
  }
  // A key spelled in the code ("trace_id"): most keys a turn writes. Printable ASCII without '"'
  // or '\\' is copied with its quotes and colon in one go instead of scanned for escapes; any
  // other array (a buffer, a NUL inside) takes the general path above. Inlined, so that for a
  // literal the compiler decides the check itself (it cost 12 instructions a character, about
  // 9,000 a turn, when it ran).
  template <size_t N>
  [[gnu::always_inline]] JsonWriter& Key(const char (&key)[N]) {
    static_assert(N > 0);
    constexpr size_t n = N - 1;
#pragma GCC unroll 64
    for (size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(key[i]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
        return Key(std::string_view(key));
      }
    }
    if (key[n] != '\0') {
      return Key(std::string_view(key, N));
    }
    Separate();
    char* at = Room(n + 3);
    at[0] = '"';
    std::memcpy(at + 1, key, n);
    at[n + 1] = '"';
    at[n + 2] = ':';
    len_ += n + 3;
    return *this;
  }
  JsonWriter& String(std::string_view v) {
    Separate();
    AppendString(v);
    return *this;
  }
  JsonWriter& Int(int64_t v) {
    Separate();
    char* at = Room(20);  // "-9223372036854775808"
    len_ += static_cast<size_t>(std::to_chars(at, at + 20, v).ptr - at);
    return *this;
  }
  // The shortest text that reads back as `v`; always with a '.' or an exponent ("0.0", "1e-05"),
  // so a reader sees a floating-point number.
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v) {
    Separate();
    Append(v ? std::string_view("true") : std::string_view("false"));
    return *this;
  }
  JsonWriter& Null() {
    Separate();
    Append("null");
    return *this;
  }
  // Already-serialised JSON (a nested document written elsewhere), copied as it is.
  JsonWriter& Raw(std::string_view json) {
    Separate();
    Append(json);
    return *this;
  }
  JsonWriter& StringArray(const std::vector<std::string>& values) {
    BeginArray();
    for (const std::string& v : values) {
      String(v);
    }
    return EndArray();
  }

  // Room for n more bytes in one allocation, for a caller that knows roughly how long its
  // document gets (growing copies and zero-fills what was written so far).
  JsonWriter& Reserve(size_t n) {
    if (out_.size() - len_ < n) {
      out_.resize(len_ + n);
    }
    return *this;
  }

  const std::string& str() const {
    out_.resize(len_);
    return out_;
  }
  std::string Take() && {
    out_.resize(len_);
    return std::move(out_);
  }

 private:
  JsonWriter& Open(char c) {
    Separate();
    Put(c);
    ++depth_;
    return *this;
  }
  JsonWriter& Close(char c) {
    Put(c);
    --depth_;
    return *this;
  }
  // A comma before every value or key but the first in its container, and none after a key:
  // read from the byte written last, since a container's first entry follows its '{' or '[',
  // a key's value follows its ':', and no value ends in one of those three.
  void Separate() {
    if (depth_ > 0) {
      const char last = out_[len_ - 1];
      if (last != '{' && last != '[' && last != ':') {
        Put(',');
      }
    }
  }
  // Where the next n bytes go; they count once len_ is moved past them.
  char* Room(size_t n) {
    if (out_.size() - len_ < n) {
      Grow(n);
    }
    return out_.data() + len_;
  }
  void Grow(size_t n);
  void Put(char c) {
    *Room(1) = c;
    ++len_;
  }
  void Append(std::string_view s) {
    if (s.empty()) {
      return;  // s.data() may be null, which memcpy must not get even for no bytes
    }
    std::memcpy(Room(s.size()), s.data(), s.size());
    len_ += s.size();
  }
  void AppendString(std::string_view s);

  // Bytes [0, len_) are the document; the rest is room to write into without a check per byte.
  mutable std::string out_;
  size_t len_ = 0;
  int depth_ = 0;  // containers open
};

}  // namespace kefu
