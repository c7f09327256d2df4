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

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kefu {

class JsonWriter {
 public:
  JsonWriter& BeginObject() {
    Separate();
    out_ += '{';
    first_.push_back(true);
    return *this;
  }
  JsonWriter& EndObject() {
    out_ += '}';
    first_.pop_back();
    return *this;
  }
  JsonWriter& BeginArray() {
    Separate();
    out_ += '[';
    first_.push_back(true);
    return *this;
  }
  JsonWriter& EndArray() {
    out_ += ']';
    first_.pop_back();
    return *this;
  }
  // The next value belongs to `key` in the open object.
  JsonWriter& Key(std::string_view key) {
    Separate();
    AppendString(key);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(std::string_view v) {
    Separate();
    AppendString(v);
    return *this;
  }
  JsonWriter& Int(int64_t v) {
    Separate();
    out_ += std::to_string(v);
    return *this;
  }
  // The shortest text that reads back as `v`; always with a '.' or an exponent ("0.0", "1e-05"),
  // so a reader sees a floating-point number.
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v) {
    Separate();
    out_ += v ? "true" : "false";
    return *this;
  }
  JsonWriter& Null() {
    Separate();
    out_ += "null";
    return *this;
  }
  // Already-serialised JSON (a nested document written elsewhere), copied as it is.
  JsonWriter& Raw(std::string_view json) {
    Separate();
    out_ += json;
    return *this;
  }
  JsonWriter& StringArray(const std::vector<std::string>& values) {
    BeginArray();
    for (const std::string& v : values) {
      String(v);
    }
    return EndArray();
  }

  const std::string& str() const { return out_; }
  std::string Take() && { return std::move(out_); }

 private:
  // A comma before every value or key but the first in its container; none after a key.
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) {
        out_ += ',';
      }
      first_.back() = false;
    }
  }
  void AppendString(std::string_view s);

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace kefu
