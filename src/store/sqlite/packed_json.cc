#include "store/sqlite/packed_json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <span>
#include <vector>

#include <zstd.h>

#include "core/embedded.h"
#include "core/logging.h"

namespace kefu {
std::span<const EmbeddedFile> StoreDictionaries();  // generated from src/store/dictionaries/
}

namespace kefu::store::sqlite {
namespace {

// zstd's fastest level: a trace packs at about 500 MB/s, some 2 µs, and still to a sixth.
constexpr int kLevel = 1;
constexpr int kMaxVersion = 255;  // the version is one byte

struct Dictionary {
  ZSTD_CDict* pack = nullptr;
  ZSTD_DDict* unpack = nullptr;
};

// The embedded dictionaries by version, made once. Never freed: they live as long as the process.
class Dictionaries {
 public:
  Dictionaries() {
    for (const EmbeddedFile& file : StoreDictionaries()) {
      const std::string_view name = file.path;  // "<version>.json"
      const std::string_view digits = name.substr(0, name.find('.'));
      int version = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
      if (ec != std::errc() || end != digits.data() + digits.size() || version <= 0 ||
          version > kMaxVersion) {
        KEFU_LOG_ERROR("packed json: dictionary file '{}' has no version number", name);
        continue;
      }
      Dictionary& d = by_version_[static_cast<size_t>(version)];
      d.pack = ZSTD_createCDict(file.data.data(), file.data.size(), kLevel);
      d.unpack = ZSTD_createDDict(file.data.data(), file.data.size());
      if (d.pack == nullptr || d.unpack == nullptr) {
        KEFU_LOG_ERROR("packed json: dictionary {} could not be loaded", version);
        d = {};
        continue;
      }
      newest_ = std::max(newest_, version);
    }
  }

  int newest() const { return newest_; }
  const Dictionary* Find(int version) const {
    if (version <= 0 || version > kMaxVersion) {
      return nullptr;
    }
    const Dictionary& d = by_version_[static_cast<size_t>(version)];
    return d.unpack != nullptr ? &d : nullptr;
  }

 private:
  std::array<Dictionary, kMaxVersion + 1> by_version_{};
  int newest_ = 0;
};

const Dictionaries& Dicts() {
  static const Dictionaries* const dicts = new Dictionaries();
  return *dicts;
}

struct FreeCCtx {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct FreeDCtx {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* PackContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, FreeCCtx> ctx(ZSTD_createCCtx());
  return ctx.get();
}

ZSTD_DCtx* UnpackContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, FreeDCtx> ctx(ZSTD_createDCtx());
  return ctx.get();
}

void SqlPack(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_TEXT) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    const auto n = static_cast<size_t>(sqlite3_value_bytes(argv[0]));
    if (std::optional<std::string> packed = PackJson(std::string_view(text, n))) {
      sqlite3_result_blob64(ctx, packed->data(), packed->size(), SQLITE_TRANSIENT);
      return;
    }
  }
  sqlite3_result_value(ctx, argv[0]);
}

void SqlJson(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
    sqlite3_result_value(ctx, argv[0]);
    return;
  }
  const auto* data = static_cast<const char*>(sqlite3_value_blob(argv[0]));
  const auto n = static_cast<size_t>(sqlite3_value_bytes(argv[0]));
  Result<std::string> json = UnpackJson(std::string_view(data, n));
  if (!json.ok()) {
    KEFU_LOG_WARN("packed json: a stored value cannot be read: {}", json.status().message());
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_result_text64(ctx, json->data(), json->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace

int PackVersion() {
  return Dicts().newest();
}

std::optional<std::string> PackJson(std::string_view json) {
  const Dictionaries& dicts = Dicts();
  const Dictionary* d = dicts.Find(dicts.newest());
  ZSTD_CCtx* cctx = PackContext();
  if (json.size() < kPackMinBytes || json.size() > kMaxUnpackedBytes || d == nullptr ||
      cctx == nullptr) {
    return std::nullopt;
  }
  std::string out(1 + ZSTD_compressBound(json.size()), '\0');
  out[0] = static_cast<char>(dicts.newest());
  const size_t n = ZSTD_compress_usingCDict(cctx, out.data() + 1, out.size() - 1, json.data(),
                                            json.size(), d->pack);
  if (ZSTD_isError(n)) {
    KEFU_LOG_WARN("packed json: zstd: {}", ZSTD_getErrorName(n));
    return std::nullopt;  // stored as text: nothing is lost
  }
  out.resize(1 + n);
  return out;
}

Result<std::string> UnpackJson(std::string_view packed) {
  if (packed.size() < 2) {
    return InternalError("packed json: " + std::to_string(packed.size()) + " bytes is too short");
  }
  const int version = static_cast<unsigned char>(packed[0]);
  const Dictionary* d = Dicts().Find(version);
  if (d == nullptr) {
    return InternalError("packed json: no dictionary " + std::to_string(version) +
                         " (written by a newer kefu?)");
  }
  const std::string_view frame = packed.substr(1);
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return InternalError("packed json: not a zstd frame with its size");
  }
  if (size > kMaxUnpackedBytes) {
    return InternalError("packed json: " + std::to_string(size) + " bytes decoded is over the " +
                         std::to_string(kMaxUnpackedBytes) + "-byte limit");
  }
  ZSTD_DCtx* dctx = UnpackContext();
  if (dctx == nullptr) {
    return InternalError("packed json: no zstd context");
  }
  std::string out(static_cast<size_t>(size), '\0');
  const size_t n = ZSTD_decompress_usingDDict(dctx, out.data(), out.size(), frame.data(),
                                              frame.size(), d->unpack);
  if (ZSTD_isError(n)) {
    return InternalError(std::string("packed json: zstd: ") + ZSTD_getErrorName(n));
  }
  if (n != out.size()) {
    return InternalError("packed json: decoded " + std::to_string(n) + " of " +
                         std::to_string(out.size()) + " bytes");
  }
  return out;
}

Status RegisterPackedJsonFunctions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  for (auto [name, f] : {std::pair{"kefu_pack", &SqlPack}, std::pair{"kefu_json", &SqlJson}}) {
    if (sqlite3_create_function_v2(db, name, 1, kFlags, nullptr, f, nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
      return InternalError(std::string("register ") + name + ": " + sqlite3_errmsg(db));
    }
  }
  return OkStatus();
}

}  // namespace kefu::store::sqlite
