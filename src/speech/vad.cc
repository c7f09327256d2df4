// Energy-based voice activity detection: frame energy in dB against an adaptive noise floor, with
// start and end hysteresis.
#include <algorithm>
#include <cmath>

#include "speech/speech.h"

namespace kefu::speech {
namespace {

constexpr int kSamplesPerMs = kAsrRate / 1000;
constexpr int kDefaultFrameMs = 20;
constexpr int kMaxRunMs = 1 << 30;  // the run counters stop here instead of overflowing
// The floor never goes below this (an RMS of 10 on the int16 scale, about -70 dBFS): in digital
// silence or near it, a faint hiss or dither must not count as speech.
constexpr double kMinNoiseDb = 20;
// Once in speech, frames this fraction of the threshold above the floor keep it going, so soft
// word endings and unvoiced consonants do not start the end-of-speech count.
constexpr double kHoldFraction = 0.5;
// Time constants (seconds) of the noise floor: it follows quieter frames quickly, louder
// non-speech frames within a second, and speech frames only slowly (so a steady new noise such as
// a fan is eventually taken as the floor rather than as endless speech).
constexpr double kFallSeconds = 0.1;
constexpr double kRiseSeconds = 1.0;
constexpr double kSpeechRiseSeconds = 20.0;

// 10 log10(1 + mean square) on the int16 scale: 0 for digital silence, ~87 for a full-scale sine.
double FrameDb(const int16_t* frame, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += static_cast<double>(frame[i]) * frame[i];
  }
  return 10 * std::log10(1 + sum / static_cast<double>(n));
}

}  // namespace

Vad::Vad(VadOptions options) : options_(options) {
  if (options_.frame_ms <= 0) {
    options_.frame_ms = kDefaultFrameMs;
  }
}

std::vector<Vad::Event> Vad::Feed(std::span<const int16_t> samples) {
  std::vector<Event> events;
  const size_t frame_len = static_cast<size_t>(options_.frame_ms) * kSamplesPerMs;
  const double frame_s = options_.frame_ms / 1000.0;
  const auto step = [frame_s](double seconds) { return 1 - std::exp(-frame_s / seconds); };

  const auto process = [&](const int16_t* frame) {
    const double db = FrameDb(frame, frame_len);
    if (noise_db_ < 0) {
      noise_db_ = db;
    }
    const double noise_floor = std::max(noise_db_, kMinNoiseDb);
    const double threshold = options_.threshold_db * (in_speech_ ? kHoldFraction : 1.0);
    const bool speech = db > noise_floor + threshold;
    if (db < noise_db_) {
      noise_db_ += (db - noise_db_) * step(kFallSeconds);
    } else {
      noise_db_ += (db - noise_db_) * step(speech ? kSpeechRiseSeconds : kRiseSeconds);
    }

    if (speech) {
      speech_run_ms_ = std::min(speech_run_ms_ + options_.frame_ms, kMaxRunMs);
      silence_run_ms_ = 0;
    } else {
      silence_run_ms_ = std::min(silence_run_ms_ + options_.frame_ms, kMaxRunMs);
      speech_run_ms_ = 0;
    }
    if (!in_speech_ && speech_run_ms_ >= options_.start_ms) {
      in_speech_ = true;
      events.push_back(Event::kSpeechStart);
    } else if (in_speech_ && silence_run_ms_ >= options_.end_ms) {
      in_speech_ = false;
      events.push_back(Event::kSpeechEnd);
    }
  };

  // Complete a frame left over from the last call, then take whole frames straight from
  // `samples`, and keep the rest for the next call.
  if (!pending_.empty()) {
    const size_t take = std::min(frame_len - pending_.size(), samples.size());
    pending_.insert(pending_.end(), samples.begin(), samples.begin() + take);
    samples = samples.subspan(take);
    if (pending_.size() < frame_len) {
      return events;
    }
    process(pending_.data());
    pending_.clear();
  }
  while (samples.size() >= frame_len) {
    process(samples.data());
    samples = samples.subspan(frame_len);
  }
  pending_.assign(samples.begin(), samples.end());
  return events;
}

}  // namespace kefu::speech
