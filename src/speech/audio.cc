// Audio decoding to 16 kHz mono s16: a RIFF/WAVE reader that walks chunks, sample conversion,
// channel averaging and a windowed-sinc resampler.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <numbers>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "speech/speech.h"

namespace kefu::speech {
namespace {

constexpr int kMinRate = 8'000;
constexpr int kMaxRate = 192'000;
constexpr int kMaxChannels = 8;

constexpr uint16_t kFormatPcm = 0x0001;
constexpr uint16_t kFormatFloat = 0x0003;
constexpr uint16_t kFormatExtensible = 0xFFFE;
// KSDATAFORMAT_SUBTYPE_* GUIDs are the format tag followed by these 14 bytes.
constexpr unsigned char kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                         0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
constexpr size_t kFmtSize = 16;            // the PCMWAVEFORMAT part every fmt chunk has
constexpr size_t kFmtExtensibleSize = 40;  // WAVEFORMATEXTENSIBLE with its sub-format GUID
// Data sizes this large come from writers that could not seek back to fill in the size (a pipe);
// they mean "to the end of the file".
constexpr uint32_t kStreamingDataSize = 0x7FFFF000;

// Resampler design (see Resample): the Kaiser-windowed sinc spans kZeroCrossings zero crossings
// of the low-pass on each side of the output instant; the cut-off sits at kRolloff of the lower
// Nyquist frequency. With beta 8.6 the stop band is ~80 dB down, and the transition band
// (about +-10% around the cut-off) ends at the output's Nyquist frequency, so nothing audible
// aliases (for 16 kHz: flat to ~6.5 kHz, -80 dB from 8 kHz).
constexpr double kZeroCrossings = 24;
constexpr double kRolloff = 0.9;
constexpr double kKaiserBeta = 8.6;
// Rate pairs whose reduced ratio has more phases than this (an odd rate such as 8,001 Hz) use the
// nearest of kMaxPhases phases: at most 1/2048 of an input sample off, ~-56 dB at worst.
constexpr int64_t kMaxPhases = 1024;
constexpr int kLanes = 8;

uint16_t U16At(std::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[at]) |
                               (static_cast<unsigned char>(b[at + 1]) << 8));
}

uint32_t U32At(std::string_view b, size_t at) {
  return static_cast<uint32_t>(U16At(b, at)) | (static_cast<uint32_t>(U16At(b, at + 2)) << 16);
}

std::string Hex4(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04x", static_cast<unsigned>(v));
  return buf;
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", s);
  return buf;
}

Status OverLimit(std::string message) {
  return OutOfRangeError(std::move(message));  // server/voice_api.cc answers it with 413
}

Status TooLong(double seconds, const AudioLimits& limits) {
  return OverLimit("audio too long: " + Seconds(seconds) + " s, the limit is " +
                   Seconds(limits.max_seconds) + " s");
}

Status CheckBytes(size_t size, const AudioLimits& limits) {
  if (size > limits.max_bytes) {
    return OverLimit("audio too large: " + std::to_string(size) + " bytes, the limit is " +
                     std::to_string(limits.max_bytes));
  }
  return OkStatus();
}

Status CheckShape(int64_t rate, int64_t channels) {
  if (rate < kMinRate || rate > kMaxRate) {
    return InvalidArgumentError("unsupported sample rate " + std::to_string(rate) + " Hz (" +
                                std::to_string(kMinRate) + "-" + std::to_string(kMaxRate) + ")");
  }
  if (channels < 1 || channels > kMaxChannels) {
    return InvalidArgumentError("unsupported channel count " + std::to_string(channels) + " (1-" +
                                std::to_string(kMaxChannels) + ")");
  }
  return OkStatus();
}

enum class SampleType { kU8, kS16, kS24, kS32, kF32, kF64 };

struct Format {
  SampleType type = SampleType::kS16;
  int channels = 1;
  int rate = kAsrRate;
  size_t sample_bytes = 2;  // one channel's sample in the data chunk
  size_t frame_bytes() const { return sample_bytes * static_cast<size_t>(channels); }
};

// One sample as a double on the int16 scale (-32768 .. 32767 for full scale).
double SampleAt(const char* p, SampleType type) {
  const auto u = [p](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  switch (type) {
    case SampleType::kU8:
      return (static_cast<double>(u(0)) - 128.0) * 256.0;
    case SampleType::kS16:
      return static_cast<int16_t>(static_cast<uint16_t>(u(0) | (u(1) << 8)));
    case SampleType::kS24: {
      // Into the top three bytes of an int32, so the sign comes along.
      const auto v = static_cast<int32_t>((u(0) << 8) | (u(1) << 16) | (u(2) << 24));
      return v / 65536.0;
    }
    case SampleType::kS32: {
      const auto v = static_cast<int32_t>(u(0) | (u(1) << 8) | (u(2) << 16) | (u(3) << 24));
      return v / 65536.0;
    }
    case SampleType::kF32: {
      const uint32_t bits = u(0) | (u(1) << 8) | (u(2) << 16) | (u(3) << 24);
      float f;
      std::memcpy(&f, &bits, sizeof(f));
      return std::isfinite(f) ? f * 32768.0 : 0.0;
    }
    case SampleType::kF64: {
      const uint64_t lo = u(0) | (u(1) << 8) | (u(2) << 16) | (u(3) << 24);
      const uint64_t hi = u(4) | (u(5) << 8) | (u(6) << 16) | (u(7) << 24);
      const uint64_t bits = lo | (hi << 32);
      double d;
      std::memcpy(&d, &bits, sizeof(d));
      return std::isfinite(d) ? d * 32768.0 : 0.0;
    }
  }
  return 0;
}

int16_t ToS16(double v) {
  return static_cast<int16_t>(std::clamp(std::lrint(v), -32768L, 32767L));
}

// `frames` interleaved frames, channels averaged, on the int16 scale.
std::vector<float> Downmix(std::string_view data, size_t frames, const Format& f) {
  std::vector<float> mono(frames);
  const char* p = data.data();
  for (size_t i = 0; i < frames; ++i) {
    double sum = 0;
    for (int c = 0; c < f.channels; ++c) {
      sum += SampleAt(p, f.type);
      p += f.sample_bytes;
    }
    mono[i] = static_cast<float>(sum / f.channels);
  }
  return mono;
}

double BesselI0(double x) {
  double sum = 1;
  double term = 1;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < sum * 1e-12) {
      break;
    }
  }
  return sum;
}

// Band-limited resampling of `in` (int16 scale) from `from` to `to` Hz.
// REQUIRES: from > 0, to > 0, from != to
std::vector<int16_t> ResampleFloat(const std::vector<float>& in, int from, int to) {
  const int64_t g = std::gcd(from, to);
  const int64_t up = to / g;      // L: output samples per `down` input samples
  const int64_t down = from / g;  // M
  const int64_t n_in = static_cast<int64_t>(in.size());
  const int64_t n_out = (n_in * up + down / 2) / down;
  // Cut-off as a fraction of the input's Nyquist frequency.
  const double fc = kRolloff * std::min(1.0, static_cast<double>(to) / from);
  const int half = static_cast<int>(std::ceil(kZeroCrossings / fc));
  // Rounded up to whole blocks of kLanes for the inner loop; the window is zero past `half`.
  const int taps = (2 * half + kLanes - 1) / kLanes * kLanes;
  const int64_t phases = std::min(up, kMaxPhases);

  // table[p * taps + m]: the weight of input sample i - half + 1 + m for an output instant at
  // input time i + p / phases.
  std::vector<float> table(static_cast<size_t>(phases * taps));
  const double i0_beta = BesselI0(kKaiserBeta);
  for (int64_t p = 0; p < phases; ++p) {
    const double frac = static_cast<double>(p) / static_cast<double>(phases);
    double sum = 0;
    std::vector<double> h(static_cast<size_t>(taps));
    for (int m = 0; m < taps; ++m) {
      const double x = (m - half + 1) - frac;  // input samples from the output instant
      const double r = x / half;
      double w = 0;
      if (std::abs(r) < 1) {
        w = BesselI0(kKaiserBeta * std::sqrt(1 - r * r)) / i0_beta;
      }
      const double arg = std::numbers::pi * fc * x;
      const double sinc = std::abs(arg) < 1e-12 ? 1.0 : std::sin(arg) / arg;
      h[m] = fc * sinc * w;
      sum += h[m];
    }
    for (int m = 0; m < taps; ++m) {
      table[static_cast<size_t>(p * taps + m)] = static_cast<float>(h[m] / sum);  // unity DC gain
    }
  }

  std::vector<int16_t> out(static_cast<size_t>(n_out));
  for (int64_t n = 0; n < n_out; ++n) {
    const int64_t pos = n * down;
    int64_t i = pos / up;
    int64_t p = pos % up;
    if (phases != up) {
      p = (p * phases + up / 2) / up;
      if (p == phases) {
        p = 0;
        ++i;
      }
    }
    const float* h = &table[static_cast<size_t>(p * taps)];
    const int64_t first = i - half + 1;
    double acc = 0;
    if (first >= 0 && first + taps <= n_in) {
      // kLanes independent sums, which the compiler can keep in one vector register.
      const float* x = &in[static_cast<size_t>(first)];
      float lanes[kLanes] = {};
      for (int m = 0; m < taps; m += kLanes) {
        for (int l = 0; l < kLanes; ++l) {
          lanes[l] += x[m + l] * h[m + l];
        }
      }
      acc = std::accumulate(std::begin(lanes), std::end(lanes), 0.0);
    } else {
      for (int m = 0; m < taps; ++m) {
        const int64_t j = first + m;
        if (j >= 0 && j < n_in) {
          acc += static_cast<double>(in[static_cast<size_t>(j)]) * h[m];
        }
      }
    }
    out[static_cast<size_t>(n)] = ToS16(acc);
  }
  return out;
}

std::vector<int16_t> ToAsrRate(const std::vector<float>& mono, int rate) {
  if (rate == kAsrRate) {
    std::vector<int16_t> out(mono.size());
    std::transform(mono.begin(), mono.end(), out.begin(), [](float v) { return ToS16(v); });
    return out;
  }
  return ResampleFloat(mono, rate, kAsrRate);
}

// The fmt chunk's body into `f`.
Status ParseFmt(std::string_view body, Format& f) {
  if (body.size() < kFmtSize) {
    return InvalidArgumentError("truncated fmt chunk");
  }
  uint16_t tag = U16At(body, 0);
  const uint16_t channels = U16At(body, 2);
  const uint32_t rate = U32At(body, 4);
  const uint16_t block_align = U16At(body, 12);
  const uint16_t bits = U16At(body, 14);
  if (tag == kFormatExtensible) {
    if (body.size() < kFmtExtensibleSize) {
      return InvalidArgumentError("truncated WAVE_FORMAT_EXTENSIBLE fmt chunk");
    }
    const std::string_view guid = body.substr(24, 16);
    if (std::memcmp(guid.data() + 2, kGuidTail, sizeof(kGuidTail)) != 0) {
      return InvalidArgumentError("unsupported WAVE_FORMAT_EXTENSIBLE sub-format");
    }
    tag = U16At(guid, 0);
  }
  if (tag != kFormatPcm && tag != kFormatFloat) {
    return InvalidArgumentError("compressed WAV (format 0x" + Hex4(tag) + ") is not supported");
  }
  KEFU_RETURN_IF_ERROR(CheckShape(rate, channels));
  // Integer samples of 1-32 significant bits sit in whole bytes (12-bit audio in 16-bit
  // containers, left-justified), so the container size decides how to read them.
  const size_t container = (bits + 7u) / 8u;
  if (tag == kFormatPcm && bits >= 1 && bits <= 32) {
    static constexpr SampleType kByBytes[] = {SampleType::kU8, SampleType::kS16, SampleType::kS24,
                                              SampleType::kS32};
    f.type = kByBytes[container - 1];
  } else if (tag == kFormatFloat && (bits == 32 || bits == 64)) {
    f.type = bits == 32 ? SampleType::kF32 : SampleType::kF64;
  } else {
    return InvalidArgumentError("unsupported " + std::string(tag == kFormatPcm ? "PCM" : "float") +
                                " sample size of " + std::to_string(bits) + " bits");
  }
  f.channels = channels;
  f.rate = static_cast<int>(rate);
  f.sample_bytes = container;
  if (block_align != 0 && block_align != f.frame_bytes()) {
    return InvalidArgumentError("block align " + std::to_string(block_align) + " does not match " +
                                std::to_string(channels) + " channels of " + std::to_string(bits) +
                                " bits");
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<int16_t>> DecodeWav(std::string_view bytes, const AudioLimits& limits) {
  KEFU_RETURN_IF_ERROR(CheckBytes(bytes.size(), limits));
  if (bytes.size() < 12 || bytes.substr(0, 4) != "RIFF" || bytes.substr(8, 4) != "WAVE") {
    return InvalidArgumentError("not a RIFF/WAVE file");
  }
  // The RIFF size field is ignored: streaming writers leave it 0 or 0xFFFFFFFF, and the chunks
  // themselves say where they end.
  Format format;
  bool have_fmt = false;
  bool have_data = false;
  std::string_view data;  // the data chunk's bytes that are present
  uint64_t declared = 0;  // its declared size
  size_t pos = 12;
  while (bytes.size() - pos >= 8 && !(have_fmt && have_data)) {
    const std::string_view id = bytes.substr(pos, 4);
    const uint32_t size = U32At(bytes, pos + 4);
    const size_t body = pos + 8;
    const size_t present = std::min<uint64_t>(size, bytes.size() - body);
    if (id == "fmt ") {
      KEFU_RETURN_IF_ERROR(ParseFmt(bytes.substr(body, present), format));
      have_fmt = true;
    } else if (id == "data") {
      have_data = true;
      declared = size;
      data = bytes.substr(body, present);
    }
    // Chunks are padded to an even size; the pad byte is not counted in `size`.
    pos = static_cast<size_t>(std::min<uint64_t>(bytes.size(), uint64_t{body} + size + (size & 1)));
  }
  if (!have_fmt) {
    return InvalidArgumentError("no fmt chunk in WAV file");
  }
  if (!have_data) {
    return InvalidArgumentError("no data chunk in WAV file");
  }
  if (declared == 0) {
    return InvalidArgumentError("empty audio");
  }
  // The declared length is checked before anything is decoded, so a long recording is refused
  // cheaply even when only its start arrived.
  const size_t frame_bytes = format.frame_bytes();
  const uint64_t declared_frames =
      (declared >= kStreamingDataSize ? data.size() : declared) / frame_bytes;
  const double seconds = static_cast<double>(declared_frames) / format.rate;
  if (seconds > limits.max_seconds) {
    return TooLong(seconds, limits);
  }
  // A data chunk that runs past the end of the file (a cut-off upload, or a streaming writer's
  // placeholder size) decodes the whole frames that are there; with none there it is refused.
  const size_t frames = data.size() / frame_bytes;
  if (frames == 0) {
    return InvalidArgumentError(data.size() < declared ? "truncated data chunk" : "empty audio");
  }
  return ToAsrRate(Downmix(data, frames, format), format.rate);
}

Result<std::vector<int16_t>> DecodeRawPcm(std::string_view bytes, int rate, int channels,
                                          const AudioLimits& limits) {
  KEFU_RETURN_IF_ERROR(CheckBytes(bytes.size(), limits));
  KEFU_RETURN_IF_ERROR(CheckShape(rate, channels));
  Format format;
  format.type = SampleType::kS16;
  format.channels = channels;
  format.rate = rate;
  format.sample_bytes = 2;
  // A trailing partial frame (a stream cut mid-sample) is dropped.
  const size_t frames = bytes.size() / format.frame_bytes();
  if (frames == 0) {
    return InvalidArgumentError("empty audio");
  }
  const double seconds = static_cast<double>(frames) / rate;
  if (seconds > limits.max_seconds) {
    return TooLong(seconds, limits);
  }
  return ToAsrRate(Downmix(bytes, frames, format), rate);
}

std::vector<int16_t> Resample(std::span<const int16_t> in, int from_rate, int to_rate) {
  if (from_rate == to_rate) {
    return {in.begin(), in.end()};
  }
  if (from_rate <= 0 || to_rate <= 0 || in.empty()) {
    return {};
  }
  return ResampleFloat(std::vector<float>(in.begin(), in.end()), from_rate, to_rate);
}

std::string EncodeWav(std::span<const int16_t> samples, int rate) {
  const auto data_bytes = static_cast<uint32_t>(samples.size() * 2);
  std::string out;
  out.reserve(44 + data_bytes);
  const auto u16 = [&out](uint32_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>((v >> 8) & 0xFF));
  };
  const auto u32 = [&u16](uint32_t v) {
    u16(v & 0xFFFF);
    u16(v >> 16);
  };
  out += "RIFF";
  u32(36 + data_bytes);
  out += "WAVEfmt ";
  u32(16);
  u16(kFormatPcm);
  u16(1);  // channels
  u32(static_cast<uint32_t>(rate));
  u32(static_cast<uint32_t>(rate) * 2);  // byte rate
  u16(2);                                // block align
  u16(16);                               // bits per sample
  out += "data";
  u32(data_bytes);
  for (int16_t s : samples) {
    u16(static_cast<uint16_t>(s));
  }
  return out;
}

}  // namespace kefu::speech
