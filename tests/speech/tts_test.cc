// Speech synthesis with espeak-ng, and voice activity detection on what it says.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "speech/speech.h"
#include "test_util.h"

namespace kefu::speech {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TtsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<TtsEngine>> tts = NewEspeakTts({});
    ASSERT_TRUE(tts.ok()) << tts.status().ToString();
    tts_ = std::move(tts).value();
  }
  static void TearDownTestSuite() { tts_.reset(); }

  static inline std::unique_ptr<TtsEngine> tts_;
};

double Seconds(const Speech& s) {
  return static_cast<double>(s.samples.size()) / s.rate;
}

int Peak(const std::vector<int16_t>& s) {
  int peak = 0;
  for (int16_t v : s) {
    peak = std::max(peak, std::abs(static_cast<int>(v)));
  }
  return peak;
}

TEST_F(TtsTest, EnglishSentenceIsAudibleAndPlausiblyLong) {
  Result<Speech> speech = tts_->Speak("Your parcel is on its way.", "en");
  ASSERT_OK_RESULT(speech);
  EXPECT_EQ(speech->rate, 22'050);
  EXPECT_GT(Seconds(*speech), 0.5);
  EXPECT_LT(Seconds(*speech), 10);
  EXPECT_GT(Peak(speech->samples), 3000);
}

TEST_F(TtsTest, ChineseSentenceIsAudibleAndPlausiblyLong) {
  Result<Speech> speech = tts_->Speak("您的包裹已经发出了。", "zh");
  ASSERT_OK_RESULT(speech);
  EXPECT_GT(Seconds(*speech), 0.5);
  EXPECT_LT(Seconds(*speech), 10);
  EXPECT_GT(Peak(speech->samples), 3000);
}

TEST_F(TtsTest, SlowerRateGivesLongerSpeech) {
  EspeakOptions slow;
  slow.words_per_minute = 100;
  Result<std::unique_ptr<TtsEngine>> slow_tts = NewEspeakTts(slow);
  ASSERT_OK_RESULT(slow_tts);
  Result<Speech> fast_speech = tts_->Speak("Your parcel is on its way.", "en");
  Result<Speech> slow_speech = (*slow_tts)->Speak("Your parcel is on its way.", "en");
  ASSERT_OK_RESULT(fast_speech);
  ASSERT_OK_RESULT(slow_speech);
  EXPECT_GT(Seconds(*slow_speech), Seconds(*fast_speech) * 1.3);
}

TEST_F(TtsTest, RefusesEmptyTextAndUnknownLanguages) {
  for (const char* text : {"", "   "}) {
    Result<Speech> r = tts_->Speak(text, "en");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("empty text"));
  }
  Result<Speech> fr = tts_->Speak("Bonjour", "fr");
  ASSERT_FALSE(fr.ok());
  EXPECT_EQ(fr.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(fr.status().message(), HasSubstr("'fr'"));
}

TEST_F(TtsTest, RefusesTextOverTwoThousandCharacters) {
  Result<Speech> r = tts_->Speak(std::string(2'001, 'a'), "en");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("2001 characters"));
  Result<Speech> bad = tts_->Speak("caf\xC3", "en");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TtsTest, UnknownVoiceFailsAtCreation) {
  EspeakOptions options;
  options.voice_en = "no-such-voice";
  Result<std::unique_ptr<TtsEngine>> tts = NewEspeakTts(options);
  ASSERT_FALSE(tts.ok());
  EXPECT_THAT(tts.status().message(), HasSubstr("no-such-voice"));
}

TEST_F(TtsTest, ConcurrentRequestsGetTheirOwnAudio) {
  // espeak-ng's output varies a little from call to call, so each request is checked by its
  // length: the Chinese sentence takes about three times as long as the English one, and audio
  // that went to the wrong buffer would make one of them far off.
  Result<Speech> en = tts_->Speak("Thank you for waiting.", "en");
  Result<Speech> zh = tts_->Speak("谢谢您的耐心等待。", "zh");
  ASSERT_OK_RESULT(en);
  ASSERT_OK_RESULT(zh);
  ASSERT_GT(zh->samples.size(), en->samples.size() * 2);
  constexpr int kThreads = 4;
  constexpr int kRounds = 3;
  std::vector<std::vector<size_t>> sizes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&sizes, t] {
      for (int round = 0; round < kRounds; ++round) {
        Result<Speech> s = t % 2 == 0 ? tts_->Speak("Thank you for waiting.", "en")
                                      : tts_->Speak("谢谢您的耐心等待。", "zh");
        sizes[t].push_back(s.ok() ? s->samples.size() : 0);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    const double expected = static_cast<double>((t % 2 == 0 ? en : zh)->samples.size());
    for (size_t size : sizes[t]) {
      EXPECT_NEAR(static_cast<double>(size), expected, expected * 0.2) << "thread " << t;
    }
  }
}

// ---- Voice activity detection

constexpr int kMsPerSecond = 1000;

// Low noise (about -60 dBFS) from a fixed seed.
std::vector<int16_t> Noise(size_t n, uint32_t& seed) {
  std::vector<int16_t> out(n);
  for (int16_t& s : out) {
    seed = seed * 1664525 + 1013904223;
    s = static_cast<int16_t>(static_cast<int>(seed >> 24) - 128) / 4;
  }
  return out;
}

struct TimedEvent {
  Vad::Event event;
  int ms;  // stream time when it was raised
};

// Feeds `pcm` in chunks of `chunk` samples (not a multiple of the frame) and times each event.
std::vector<TimedEvent> RunVad(Vad& vad, const std::vector<int16_t>& pcm, size_t chunk) {
  std::vector<TimedEvent> events;
  for (size_t at = 0; at < pcm.size(); at += chunk) {
    const size_t n = std::min(chunk, pcm.size() - at);
    for (Vad::Event e : vad.Feed(std::span<const int16_t>(pcm).subspan(at, n))) {
      events.push_back({e, static_cast<int>((at + n) * kMsPerSecond / kAsrRate)});
    }
  }
  return events;
}

std::vector<Vad::Event> Kinds(const std::vector<TimedEvent>& events) {
  std::vector<Vad::Event> kinds;
  for (const TimedEvent& e : events) {
    kinds.push_back(e.event);
  }
  return kinds;
}

TEST(VadTest, SilenceRaisesNothing) {
  Vad vad;
  uint32_t seed = 1;
  EXPECT_TRUE(RunVad(vad, Noise(3 * kAsrRate, seed), 500).empty());
  EXPECT_FALSE(vad.in_speech());
}

TEST(VadTest, ToneBurstStartsAndEndsOnTime) {
  uint32_t seed = 2;
  std::vector<int16_t> pcm = Noise(kAsrRate, seed);  // 1 s
  for (int i = 0; i < kAsrRate; ++i) {               // 1 s of 300 Hz at -20 dBFS
    pcm.push_back(static_cast<int16_t>(3000 * std::sin(2 * std::numbers::pi * 300 * i / kAsrRate)));
  }
  const std::vector<int16_t> tail = Noise(kAsrRate, seed);  // 1 s
  pcm.insert(pcm.end(), tail.begin(), tail.end());

  Vad vad;
  const std::vector<TimedEvent> events = RunVad(vad, pcm, 320);
  ASSERT_THAT(Kinds(events), ElementsAre(Vad::Event::kSpeechStart, Vad::Event::kSpeechEnd));
  EXPECT_EQ(events[0].ms, 1000 + 60);
  EXPECT_EQ(events[1].ms, 2000 + 600);
  EXPECT_FALSE(vad.in_speech());
}

TEST_F(TtsTest, VadFindsOneUtteranceInSynthesizedSpeech) {
  Result<Speech> speech = tts_->Speak("Hello, where is my parcel? I ordered it last week.", "en");
  ASSERT_OK_RESULT(speech);
  const std::vector<int16_t> voice = Resample(speech->samples, speech->rate, kAsrRate);

  // Where the voice begins and ends: the first and last 10 ms with an RMS over 64 (-54 dBFS,
  // three times the noise added below).
  constexpr size_t kWindow = kAsrRate / 100;
  constexpr double kLevel = 64;
  int onset_ms = -1;
  int offset_ms = -1;
  for (size_t at = 0; at + kWindow <= voice.size(); at += kWindow) {
    double sum = 0;
    for (size_t i = at; i < at + kWindow; ++i) {
      sum += static_cast<double>(voice[i]) * voice[i];
    }
    if (std::sqrt(sum / kWindow) > kLevel) {
      if (onset_ms < 0) {
        onset_ms = static_cast<int>(at * kMsPerSecond / kAsrRate);
      }
      offset_ms = static_cast<int>((at + kWindow) * kMsPerSecond / kAsrRate);
    }
  }
  ASSERT_GE(onset_ms, 0);

  // 1 s of room noise, the sentence over the same noise, 1.5 s of noise.
  uint32_t seed = 3;
  std::vector<int16_t> pcm = Noise(kAsrRate, seed);
  const std::vector<int16_t> under = Noise(voice.size(), seed);
  for (size_t i = 0; i < voice.size(); ++i) {
    pcm.push_back(static_cast<int16_t>(std::clamp(voice[i] + under[i], -32768, 32767)));
  }
  const std::vector<int16_t> tail = Noise(kAsrRate * 3 / 2, seed);
  pcm.insert(pcm.end(), tail.begin(), tail.end());

  VadOptions options;
  Vad vad(options);
  const std::vector<TimedEvent> events = RunVad(vad, pcm, 500);
  ASSERT_THAT(Kinds(events), ElementsAre(Vad::Event::kSpeechStart, Vad::Event::kSpeechEnd))
      << "onset " << onset_ms << " ms, offset " << offset_ms << " ms";
  const int onset = 1000 + onset_ms;
  const int offset = 1000 + offset_ms;
  // The start needs start_ms of speech (less up to a frame: the onset may fall mid-frame) and
  // comes within ~100 ms, plus up to one feed chunk (500 samples) of reporting delay.
  EXPECT_GE(events[0].ms, onset + options.start_ms - options.frame_ms);
  EXPECT_LE(events[0].ms, onset + 100 + 32);
  EXPECT_GE(events[1].ms, offset + options.end_ms - 100);
  EXPECT_LE(events[1].ms, offset + options.end_ms + 200);
}

}  // namespace
}  // namespace kefu::speech
