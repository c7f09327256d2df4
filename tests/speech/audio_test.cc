#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numbers>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "speech/speech.h"
#include "test_util.h"

// The largest single allocation while g_track_allocations is set, so a test can show that a
// decoder refused a long file without first allocating room for all of it. Replacing the global
// operator new/delete pair (both on malloc/free) is allowed and leaves every other test alone.
// They are kept out of line: inlined, gcc 12 takes the free() for a mismatch with operator new.
namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<size_t> g_largest_allocation{0};
}  // namespace

[[gnu::noinline]] void* operator new(size_t size) {
  if (g_track_allocations.load(std::memory_order_relaxed)) {
    size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace kefu::speech {
namespace {

using ::testing::HasSubstr;

void PutU16(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
}
void PutU32(std::string& out, uint32_t v) {
  PutU16(out, v & 0xFFFF);
  PutU16(out, v >> 16);
}

std::string Chunk(std::string_view id, std::string_view body) {
  std::string out(id);
  PutU32(out, static_cast<uint32_t>(body.size()));
  out += body;
  if (body.size() % 2 == 1) {
    out.push_back('\0');  // pad byte
  }
  return out;
}

std::string FmtBody(uint16_t tag, int channels, int rate, int bits) {
  std::string fmt;
  const int block = channels * ((bits + 7) / 8);
  PutU16(fmt, tag);
  PutU16(fmt, static_cast<uint32_t>(channels));
  PutU32(fmt, static_cast<uint32_t>(rate));
  PutU32(fmt, static_cast<uint32_t>(rate * block));
  PutU16(fmt, static_cast<uint32_t>(block));
  PutU16(fmt, static_cast<uint32_t>(bits));
  return fmt;
}

// A WAVE_FORMAT_EXTENSIBLE fmt body whose sub-format GUID starts with `sub_format`.
std::string ExtensibleFmtBody(uint16_t sub_format, int channels, int rate, int bits,
                              bool standard_guid = true) {
  std::string fmt = FmtBody(0xFFFE, channels, rate, bits);
  PutU16(fmt, 22);                           // cbSize
  PutU16(fmt, static_cast<uint32_t>(bits));  // valid bits
  PutU32(fmt, channels == 2 ? 0x3 : 0x4);    // channel mask
  PutU16(fmt, sub_format);                   // GUID Data1 (low half)
  fmt += std::string("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B", 13);
  fmt.push_back(standard_guid ? '\x71' : '\x72');
  return fmt;
}

std::string Riff(std::string_view chunks) {
  std::string out = "RIFF";
  PutU32(out, static_cast<uint32_t>(4 + chunks.size()));
  out += "WAVE";
  out += chunks;
  return out;
}

std::string S16Bytes(const std::vector<int16_t>& samples) {
  std::string out;
  for (int16_t s : samples) {
    PutU16(out, static_cast<uint16_t>(s));
  }
  return out;
}

std::vector<int16_t> Tone(double hz, int rate, double seconds, double amplitude) {
  std::vector<int16_t> out(static_cast<size_t>(rate * seconds));
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<int16_t>(std::lrint(
        amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / rate)));
  }
  return out;
}

// Sign changes per second, half of them in the middle 80% (away from the filter's edges).
double ZeroCrossingHz(const std::vector<int16_t>& s, int rate) {
  const size_t from = s.size() / 10;
  const size_t to = s.size() - s.size() / 10;
  int crossings = 0;
  for (size_t i = from + 1; i < to; ++i) {
    if ((s[i - 1] < 0) != (s[i] < 0)) {
      ++crossings;
    }
  }
  return crossings / 2.0 / (static_cast<double>(to - from) / rate);
}

double Rms(const std::vector<int16_t>& s) {
  double sum = 0;
  const size_t from = s.size() / 10;
  const size_t to = s.size() - s.size() / 10;
  for (size_t i = from; i < to; ++i) {
    sum += static_cast<double>(s[i]) * s[i];
  }
  return std::sqrt(sum / static_cast<double>(to - from));
}

void ExpectInvalid(const Result<std::vector<int16_t>>& r, const std::string& message) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr(message));
}

void ExpectOverLimit(const Result<std::vector<int16_t>>& r, const std::string& message) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_THAT(r.status().message(), HasSubstr(message));
}

TEST(AudioTest, EncodeThenDecodeAt16kMonoIsIdentical) {
  std::vector<int16_t> samples(16'000);
  uint32_t x = 12345;
  for (int16_t& s : samples) {
    x = x * 1103515245 + 12345;
    s = static_cast<int16_t>(x >> 16);
  }
  samples[0] = -32768;
  samples[1] = 32767;
  const std::string wav = EncodeWav(samples, kAsrRate);
  EXPECT_EQ(wav.size(), 44u + 2 * samples.size());
  Result<std::vector<int16_t>> decoded = DecodeWav(wav, {});
  ASSERT_OK_RESULT(decoded);
  EXPECT_EQ(*decoded, samples);
}

TEST(AudioTest, Stereo44kToneKeepsItsPitchAfterResampling) {
  const std::vector<int16_t> tone = Tone(440, 44'100, 1.0, 8000);
  std::vector<int16_t> stereo;
  for (int16_t s : tone) {
    stereo.push_back(s);
    stereo.push_back(s);
  }
  const std::string wav =
      Riff(Chunk("fmt ", FmtBody(1, 2, 44'100, 16)) + Chunk("data", S16Bytes(stereo)));
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_NEAR(static_cast<double>(pcm->size()), 16'000, 1);
  EXPECT_NEAR(ZeroCrossingHz(*pcm, kAsrRate), 440, 5);
  EXPECT_NEAR(Rms(*pcm), 8000 / std::sqrt(2.0), 150);
}

TEST(AudioTest, StereoChannelsAreAveraged) {
  std::vector<int16_t> stereo;
  for (int i = 0; i < 1600; ++i) {
    stereo.push_back(1000);
    stereo.push_back(3000);
  }
  const std::string wav =
      Riff(Chunk("fmt ", FmtBody(1, 2, 16'000, 16)) + Chunk("data", S16Bytes(stereo)));
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  ASSERT_OK_RESULT(pcm);
  ASSERT_EQ(pcm->size(), 1600u);
  EXPECT_EQ(pcm->front(), 2000);
  EXPECT_EQ(pcm->back(), 2000);
}

TEST(AudioTest, ResamplingRemovesToneAboveTheNewNyquist) {
  // 12 kHz cannot be represented at 16 kHz; without a low-pass it would alias to 4 kHz.
  const std::vector<int16_t> pcm = Resample(Tone(12'000, 44'100, 0.5, 10'000), 44'100, kAsrRate);
  EXPECT_NEAR(static_cast<double>(pcm.size()), 8000, 1);
  EXPECT_LT(Rms(pcm), 10'000 / std::sqrt(2.0) * 0.01);  // at least 40 dB down
}

TEST(AudioTest, ResamplingKeepsSpeechBandLevel) {
  for (int rate : {8'000, 11'025, 22'050, 44'100, 48'000}) {
    const std::vector<int16_t> pcm = Resample(Tone(1000, rate, 0.5, 10'000), rate, kAsrRate);
    EXPECT_NEAR(static_cast<double>(pcm.size()), 8000, 1) << rate;
    EXPECT_NEAR(Rms(pcm), 10'000 / std::sqrt(2.0), 10'000 / std::sqrt(2.0) * 0.05) << rate;
    EXPECT_NEAR(ZeroCrossingHz(pcm, kAsrRate), 1000, 5) << rate;
  }
}

TEST(AudioTest, ResampleAtTheSameRateIsIdentity) {
  const std::vector<int16_t> in = {1, -2, 3, 32767, -32768};
  EXPECT_EQ(Resample(in, 22'050, 22'050), in);
}

TEST(AudioTest, EightBitIsUnsigned) {
  const std::string data = std::string("\x80\xFF\x00\x80", 4);
  const std::string wav = Riff(Chunk("fmt ", FmtBody(1, 1, 16'000, 8)) + Chunk("data", data));
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(*pcm, (std::vector<int16_t>{0, 127 * 256, -32768, 0}));
}

TEST(AudioTest, TwentyFourBitKeepsTheTopSixteenBits) {
  // 0x123456, -1 (0xFFFFFF), 0x800000 (most negative)
  const std::string data = std::string("\x56\x34\x12\xFF\xFF\xFF\x00\x00\x80", 9);
  const std::string wav = Riff(Chunk("fmt ", FmtBody(1, 1, 16'000, 24)) + Chunk("data", data));
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(*pcm, (std::vector<int16_t>{0x1234, 0, -32768}));
}

TEST(AudioTest, ThirtyTwoBitIntegerKeepsTheTopSixteenBits) {
  std::string data;
  PutU32(data, 0x12345678);
  PutU32(data, 0x80000000);
  const std::string wav = Riff(Chunk("fmt ", FmtBody(1, 1, 16'000, 32)) + Chunk("data", data));
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(*pcm, (std::vector<int16_t>{0x1234, -32768}));
}

TEST(AudioTest, Float32IsScaledAndClipped) {
  std::string data;
  for (float f : {0.5f, -1.0f, 1.5f, 0.0f}) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof(bits));
    PutU32(data, bits);
  }
  const std::string wav = Riff(Chunk("fmt ", FmtBody(3, 1, 16'000, 32)) + Chunk("data", data));
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(*pcm, (std::vector<int16_t>{16384, -32768, 32767, 0}));
}

TEST(AudioTest, ExtensiblePcmAndFloatDecode) {
  const std::string pcm_wav = Riff(Chunk("fmt ", ExtensibleFmtBody(1, 2, 16'000, 16)) +
                                   Chunk("data", S16Bytes({100, 300, -100, -300})));
  Result<std::vector<int16_t>> pcm = DecodeWav(pcm_wav, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(*pcm, (std::vector<int16_t>{200, -200}));

  std::string data;
  const float f = 0.25f;
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  PutU32(data, bits);
  const std::string float_wav =
      Riff(Chunk("fmt ", ExtensibleFmtBody(3, 1, 16'000, 32)) + Chunk("data", data));
  Result<std::vector<int16_t>> fl = DecodeWav(float_wav, {});
  ASSERT_OK_RESULT(fl);
  EXPECT_EQ(*fl, (std::vector<int16_t>{8192}));
}

TEST(AudioTest, ExtensibleWithUnknownSubFormatIsRefused) {
  const std::string wav = Riff(Chunk("fmt ", ExtensibleFmtBody(1, 1, 16'000, 16, false)) +
                               Chunk("data", S16Bytes({1, 2})));
  ExpectInvalid(DecodeWav(wav, {}), "sub-format");
  const std::string mp3 =
      Riff(Chunk("fmt ", ExtensibleFmtBody(0x55, 1, 16'000, 16)) + Chunk("data", S16Bytes({1, 2})));
  ExpectInvalid(DecodeWav(mp3, {}), "compressed WAV (format 0x0055) is not supported");
}

TEST(AudioTest, ChunksBeforeDataAreSkippedWithTheirPadding) {
  // An odd-sized LIST chunk (padded to even) between fmt and data, and a fact chunk.
  const std::string wav =
      Riff(Chunk("fmt ", FmtBody(1, 1, 16'000, 16)) + Chunk("LIST", "INFOjunk!") +
           Chunk("fact", std::string("\x02\x00\x00\x00", 4)) + Chunk("data", S16Bytes({7, -7})));
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(*pcm, (std::vector<int16_t>{7, -7}));
}

TEST(AudioTest, NotAWavIsRefused) {
  ExpectInvalid(DecodeWav("ID3\x04 this is an mp3, honest", {}), "not a RIFF/WAVE file");
  ExpectInvalid(DecodeWav("", {}), "not a RIFF/WAVE file");
  ExpectInvalid(DecodeWav(std::string("RIFF\x04\0\0\0AVI ", 12), {}), "not a RIFF/WAVE file");
}

TEST(AudioTest, EmptyDataIsRefused) {
  ExpectInvalid(DecodeWav(Riff(Chunk("fmt ", FmtBody(1, 1, 16'000, 16)) + Chunk("data", "")), {}),
                "empty audio");
  ExpectInvalid(DecodeWav(Riff(Chunk("fmt ", FmtBody(1, 1, 16'000, 16))), {}), "no data chunk");
}

TEST(AudioTest, TruncatedDataDecodesWhatIsThere) {
  std::string wav = Riff(Chunk("fmt ", FmtBody(1, 1, 16'000, 16)));
  wav += "data";
  PutU32(wav, 32'000);  // one second declared
  wav += S16Bytes({1, 2, 3});
  wav.push_back('\x04');  // half a sample
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(*pcm, (std::vector<int16_t>{1, 2, 3}));
}

TEST(AudioTest, TruncatedBeforeTheFirstSampleIsRefused) {
  std::string wav = Riff(Chunk("fmt ", FmtBody(1, 2, 16'000, 16)));
  wav += "data";
  PutU32(wav, 32'000);
  wav += "\x01\x02\x03";  // less than one frame
  ExpectInvalid(DecodeWav(wav, {}), "truncated data chunk");
  ExpectInvalid(DecodeWav(wav.substr(0, 30), {}), "truncated fmt chunk");
}

TEST(AudioTest, CompressedFormatIsRefused) {
  const std::string wav =
      Riff(Chunk("fmt ", FmtBody(0x55, 1, 16'000, 16)) + Chunk("data", "\x01\x02"));
  ExpectInvalid(DecodeWav(wav, {}), "compressed WAV (format 0x0055) is not supported");
}

TEST(AudioTest, UnsupportedShapesAreRefused) {
  ExpectInvalid(DecodeWav(Riff(Chunk("fmt ", FmtBody(1, 9, 16'000, 16)) + Chunk("data", "ab")), {}),
                "channel count 9");
  ExpectInvalid(DecodeWav(Riff(Chunk("fmt ", FmtBody(1, 1, 4'000, 16)) + Chunk("data", "ab")), {}),
                "sample rate 4000");
  ExpectInvalid(DecodeWav(Riff(Chunk("fmt ", FmtBody(3, 1, 16'000, 16)) + Chunk("data", "ab")), {}),
                "16 bits");
}

TEST(AudioTest, TenMinutesDeclaredIsRefusedBeforeDecoding) {
  std::string wav = Riff(Chunk("fmt ", FmtBody(1, 1, 16'000, 16)));
  wav += "data";
  PutU32(wav, 10 * 60 * 16'000 * 2);    // ten minutes declared ...
  wav += std::string(1'000'000, '\0');  // ... about 31 s present
  g_largest_allocation = 0;
  g_track_allocations = true;
  Result<std::vector<int16_t>> pcm = DecodeWav(wav, {});
  g_track_allocations = false;
  ExpectOverLimit(pcm, "audio too long: 600.0 s, the limit is 60.0 s");
  EXPECT_LT(g_largest_allocation.load(), 10'000u);  // not even the 31 s that are there
}

TEST(AudioTest, InputOverTheByteLimitIsRefused) {
  AudioLimits limits;
  limits.max_bytes = 1000;
  const std::string wav = EncodeWav(std::vector<int16_t>(1000), kAsrRate);
  ExpectOverLimit(DecodeWav(wav, limits), "audio too large");
  ExpectOverLimit(DecodeRawPcm(std::string(2000, '\0'), kAsrRate, 1, limits), "audio too large");
}

TEST(AudioTest, RawPcmAt16kMonoIsTakenAsIs) {
  const std::vector<int16_t> samples = {5, -5, 1000, -32768};
  Result<std::vector<int16_t>> pcm = DecodeRawPcm(S16Bytes(samples), kAsrRate, 1, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(*pcm, samples);
}

TEST(AudioTest, RawPcmStereo48kIsDownmixedAndResampled) {
  const std::vector<int16_t> tone = Tone(440, 48'000, 0.5, 8000);
  std::vector<int16_t> stereo;
  for (int16_t s : tone) {
    stereo.push_back(s);
    stereo.push_back(0);
  }
  Result<std::vector<int16_t>> pcm = DecodeRawPcm(S16Bytes(stereo), 48'000, 2, {});
  ASSERT_OK_RESULT(pcm);
  EXPECT_EQ(pcm->size(), 8000u);
  EXPECT_NEAR(ZeroCrossingHz(*pcm, kAsrRate), 440, 5);
  EXPECT_NEAR(Rms(*pcm), 4000 / std::sqrt(2.0), 100);
}

TEST(AudioTest, RawPcmRefusesBadShapesAndEmptyInput) {
  ExpectInvalid(DecodeRawPcm("", kAsrRate, 1, {}), "empty audio");
  ExpectInvalid(DecodeRawPcm("\x01", kAsrRate, 1, {}), "empty audio");
  ExpectInvalid(DecodeRawPcm("\x01\x02", 200'000, 1, {}), "sample rate");
  ExpectInvalid(DecodeRawPcm("\x01\x02", kAsrRate, 0, {}), "channel count");
  AudioLimits limits;
  limits.max_seconds = 1;
  ExpectOverLimit(DecodeRawPcm(std::string(64'000, '\0'), kAsrRate, 1, limits), "audio too long");
}

}  // namespace
}  // namespace kefu::speech
