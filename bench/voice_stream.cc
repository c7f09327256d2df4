// voice_stream: a shopper's call on the voice socket, timed from outside. For each WAV of a
// corpus (x.wav + x.txt, as scripts/gen-asr-corpus.sh writes them) it opens a conversation on a
// running `kefu serve`, connects to /v1/conversations/{id}/voice and sends the audio as 20 ms
// PCM frames at real-time pace (500 ms of quiet before, 1 s after), while reading what comes
// back. It measures
//   - first partial: from sending the frame in which speech starts (the first 20 ms frame above
//     -40 dBFS, found in the file itself, independently of kefu's detector) to the first
//     {"type":"partial"};
//   - reply: from sending the last frame of speech to the {"type":"reply"} (this includes the
//     600 ms of silence the detector waits for before it ends the utterance);
//   - the final transcript's word error rate, and the server's real-time factor (decode time in
//     the reply's trace over the audio's length).
// Writes a Markdown table to --out and prints a JSON line last.
//
//   voice_stream --port 8080 --data build/asr-corpus --files 40 --out report.md
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "speech/speech.h"

namespace kefu::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

constexpr size_t kFrame = speech::kAsrRate / 50;  // 20 ms
constexpr double kTargetFirstPartialMs = 300;

struct Flags {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string data;
  int files = 40;
  std::string out;
};

struct CallResult {
  std::string file;
  std::optional<double> first_partial_ms;
  std::optional<double> reply_ms;
  std::string transcript;
  size_t edits = 0;
  size_t words = 0;
  double audio_ms = 0;
  double decode_ms = 0;
  int partials = 0;
  std::string error;
};

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The first and last 20 ms frames above -40 dBFS: where speech is in the file.
std::pair<size_t, size_t> SpeechFrames(const std::vector<int16_t>& pcm) {
  size_t first = SIZE_MAX;
  size_t last = 0;
  for (size_t f = 0; (f + 1) * kFrame <= pcm.size(); ++f) {
    double sum = 0;
    for (size_t i = f * kFrame; i < (f + 1) * kFrame; ++i) {
      sum += static_cast<double>(pcm[i]) * pcm[i];
    }
    const double db = 10 * std::log10(sum / kFrame / (32768.0 * 32768.0) + 1e-12);
    if (db > -40) {
      first = std::min(first, f);
      last = f;
    }
  }
  return {first, last};
}

// id and token by value: the coroutine runs after the caller's temporaries are gone.
asio::awaitable<void> Call(const Flags& flags, std::string id, std::string token,
                           const std::vector<int16_t>& pcm, CallResult& result) {
  const auto ex = co_await asio::this_coro::executor;
  websocket::stream<beast::tcp_stream> ws(ex);
  asio::ip::tcp::endpoint ep(asio::ip::make_address(flags.host), static_cast<uint16_t>(flags.port));
  auto [ec] = co_await beast::get_lowest_layer(ws).async_connect(ep, kTuple);
  if (!ec) {
    std::tie(ec) =
        co_await ws.async_handshake(flags.host, "/v1/conversations/" + id + "/voice", kTuple);
  }
  if (ec) {
    result.error = "connect: " + ec.message();
    co_return;
  }
  ws.text(true);
  const std::string start = json{{"type", "start"}, {"token", token}, {"rate", 16000}}.dump();
  std::tie(ec, std::ignore) = co_await ws.async_write(asio::buffer(start), kTuple);
  beast::flat_buffer buffer;
  std::tie(ec, std::ignore) = co_await ws.async_read(buffer, kTuple);  // listening
  if (ec) {
    result.error = "start: " + ec.message();
    co_return;
  }
  const auto [first, last] = SpeechFrames(pcm);
  std::optional<Clock::time_point> onset_sent;
  std::optional<Clock::time_point> end_sent;
  bool done = false;
  bool sender_finished = false;
  // The sender: 20 ms frames at real-time pace, on the same thread as the reader below.
  auto send = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(ex);
    const auto t0 = Clock::now();
    for (size_t f = 0; f * kFrame < pcm.size() && !done; ++f) {
      timer.expires_at(t0 + std::chrono::milliseconds(20 * f));
      co_await timer.async_wait(kTuple);
      const size_t n = std::min(kFrame, pcm.size() - f * kFrame);
      ws.binary(true);
      auto [wec, _] = co_await ws.async_write(asio::buffer(pcm.data() + f * kFrame, n * 2), kTuple);
      if (wec) {
        break;
      }
      if (f == first) {
        onset_sent = Clock::now();
      }
      if (f == last) {
        end_sent = Clock::now();
      }
    }
    sender_finished = true;
  };
  asio::co_spawn(ex, send(), asio::detached);
  while (!done) {
    buffer.consume(buffer.size());
    std::tie(ec, std::ignore) = co_await ws.async_read(buffer, kTuple);
    if (ec) {
      result.error = "read: " + ec.message();
      break;
    }
    if (!ws.got_text()) {
      continue;  // the reply's WAV
    }
    const json frame = json::parse(beast::buffers_to_string(buffer.data()));
    const std::string type = frame.value("type", "");
    if (type == "partial") {
      ++result.partials;
      if (!result.first_partial_ms && onset_sent) {
        result.first_partial_ms = Ms(Clock::now() - *onset_sent);
      }
    } else if (type == "transcript") {
      result.transcript = frame.value("text", "");
    } else if (type == "reply") {
      if (end_sent) {
        result.reply_ms = Ms(Clock::now() - *end_sent);
      }
      if (frame.contains("trace") && frame["trace"].contains("asr")) {
        result.audio_ms = frame["trace"]["asr"].value("audio_ms", 0.0);
        result.decode_ms = frame["trace"]["asr"].value("decode_ms", 0.0);
      }
    } else if (type == "listening" && !result.transcript.empty()) {
      done = true;
    } else if (type == "error") {
      result.error = frame.dump();
    }
  }
  done = true;
  asio::steady_timer wait(ex);
  while (!sender_finished) {  // it uses this frame: let it end first
    wait.expires_after(std::chrono::milliseconds(5));
    co_await wait.async_wait(kTuple);
  }
  ws.text(true);
  std::tie(ec, std::ignore) = co_await ws.async_write(asio::buffer(R"({"type":"hangup"})"), kTuple);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return NAN;
  }
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

int Run(const Flags& flags) {
  namespace fs = std::filesystem;
  std::vector<fs::path> wavs;
  for (const auto& e : fs::directory_iterator(flags.data)) {
    if (e.path().extension() == ".wav") {
      wavs.push_back(e.path());
    }
  }
  std::sort(wavs.begin(), wavs.end());
  if (wavs.empty()) {
    std::cerr << "voice_stream: no .wav in " << flags.data << "\n";
    return 1;
  }
  // An even spread over the corpus (its voices and speeds).
  std::vector<fs::path> chosen;
  const size_t step = std::max<size_t>(1, wavs.size() / static_cast<size_t>(flags.files));
  for (size_t i = 0; i < wavs.size() && chosen.size() < static_cast<size_t>(flags.files);
       i += step) {
    chosen.push_back(wavs[i]);
  }
  httplib::Client http(flags.host, flags.port);
  std::vector<CallResult> results;
  for (size_t n = 0; n < chosen.size(); ++n) {
    const fs::path& wav = chosen[n];
    std::ifstream in(wav, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    Result<std::vector<int16_t>> decoded = speech::DecodeWav(bytes, {});
    if (!decoded.ok()) {
      std::cerr << wav << ": " << decoded.status().ToString() << "\n";
      return 1;
    }
    std::vector<int16_t> pcm(speech::kAsrRate / 2, 0);  // 500 ms before
    pcm.insert(pcm.end(), decoded->begin(), decoded->end());
    pcm.insert(pcm.end(), speech::kAsrRate, 0);  // 1 s after
    auto conv = http.Post("/v1/conversations", "{}", "application/json");
    if (!conv || conv->status != 201) {
      std::cerr << "voice_stream: cannot open a conversation on port " << flags.port << "\n";
      return 1;
    }
    const json c = json::parse(conv->body);
    CallResult r;
    r.file = wav.filename().string();
    asio::io_context ioc;
    asio::co_spawn(ioc, Call(flags, c["conversation_id"], c["token"], pcm, r), asio::detached);
    ioc.run();
    std::ifstream ref_in(fs::path(wav).replace_extension(".txt"));
    std::string reference;
    std::getline(ref_in, reference);
    std::tie(r.edits, r.words) = speech::WordEdits(reference, r.transcript);
    std::fprintf(stderr, "\rvoice_stream %zu/%zu", n + 1, chosen.size());
    if (!r.error.empty()) {
      std::fprintf(stderr, "\n%s: %s\n", r.file.c_str(), r.error.c_str());
    }
    results.push_back(std::move(r));
  }
  std::fprintf(stderr, "\n");

  std::vector<double> first;
  std::vector<double> reply;
  size_t edits = 0;
  size_t words = 0;
  double audio = 0;
  double decode = 0;
  size_t no_partial = 0;
  size_t errors = 0;
  for (const CallResult& r : results) {
    if (r.first_partial_ms) {
      first.push_back(*r.first_partial_ms);
    } else {
      ++no_partial;
    }
    if (r.reply_ms) {
      reply.push_back(*r.reply_ms);
    }
    errors += r.error.empty() ? 0 : 1;
    edits += r.edits;
    words += r.words;
    audio += r.audio_ms;
    decode += r.decode_ms;
  }
  const double within =
      static_cast<double>(std::count_if(first.begin(), first.end(),
                                        [](double ms) { return ms <= kTargetFirstPartialMs; })) /
      std::max<size_t>(results.size(), 1);
  const json summary = {{"calls", results.size()},
                        {"errors", errors},
                        {"no_partial", no_partial},
                        {"first_partial_p50_ms", Percentile(first, 0.5)},
                        {"first_partial_p90_ms", Percentile(first, 0.9)},
                        {"first_partial_max_ms", Percentile(first, 1.0)},
                        {"first_partial_within_300ms", within},
                        {"reply_after_speech_p50_ms", Percentile(reply, 0.5)},
                        {"reply_after_speech_p90_ms", Percentile(reply, 0.9)},
                        {"wer", words == 0 ? 0.0 : static_cast<double>(edits) / words},
                        {"rtf", audio == 0 ? 0.0 : decode / audio}};
  if (!flags.out.empty()) {
    std::ofstream out(flags.out);
    char line[512];
    out << "| calls | first partial p50 | p90 | max | within 300 ms | reply after speech p50 | "
           "p90 | WER | real-time factor |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    std::snprintf(line, sizeof line,
                  "| %zu | %.0f ms | %.0f ms | %.0f ms | %.0f%% | %.0f ms | %.0f ms | %.1f%% | "
                  "%.3f |\n",
                  results.size(), Percentile(first, 0.5), Percentile(first, 0.9),
                  Percentile(first, 1.0), 100 * within, Percentile(reply, 0.5),
                  Percentile(reply, 0.9), 100.0 * summary["wer"].get<double>(),
                  summary["rtf"].get<double>());
    out << line;
    out << "\nPer call (first partial, reply after the end of speech, transcript):\n\n"
           "| file | first partial | reply | partials | transcript |\n|---|---:|---:|---:|---|\n";
    for (const CallResult& r : results) {
      std::snprintf(
          line, sizeof line, "| %s | %s | %s | %d | %s |\n", r.file.c_str(),
          r.first_partial_ms ? (std::to_string(std::lround(*r.first_partial_ms)) + " ms").c_str()
                             : "none",
          r.reply_ms ? (std::to_string(std::lround(*r.reply_ms)) + " ms").c_str() : "none",
          r.partials, r.transcript.c_str());
      out << line;
    }
  }
  std::cout << summary.dump() << std::endl;
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace kefu::bench

int main(int argc, char** argv) {
  kefu::bench::Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--host") {
      flags.host = value;
    } else if (key == "--port") {
      flags.port = std::stoi(value);
    } else if (key == "--data") {
      flags.data = value;
    } else if (key == "--files") {
      flags.files = std::stoi(value);
    } else if (key == "--out") {
      flags.out = value;
    } else {
      std::cerr << "voice_stream: unknown flag " << key << "\n";
      return 2;
    }
  }
  if (flags.data.empty()) {
    std::cerr << "usage: voice_stream --port P --data DIR [--files N] [--out FILE]\n";
    return 2;
  }
  return kefu::bench::Run(flags);
}
