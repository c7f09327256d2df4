// Voice turns through the API over the demo shop: a shopper speaks (espeak-ng), kefu recognises
// it (pocketsphinx with the domain language model, digits by grammar when it waits for a number),
// answers and speaks the answer; Mandarin goes through a fake OpenAI-compatible transcription
// server on loopback; bad audio gets a clear error.
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include "core/clock.h"
#include "demo/demo_shop.h"
#include "server/api.h"
#include "server/http_server.h"
#include "speech/speech.h"
#include "test_util.h"

namespace kefu::server {
namespace {

using nlohmann::json;

// A shipped demo order's number, last four phone digits and carrier.
struct DemoOrder {
  std::string number, last4, carrier_en;
};

DemoOrder ShippedDemoOrder() {
  std::ifstream in(kefu::testing::SourceDataDir() + "/demo/orders.jsonl");
  for (std::string line; std::getline(in, line);) {
    json o = json::parse(line);
    if (o["status"] == "shipped" && !o["shipment"]["events"].empty()) {
      const std::string phone = o["phone"];
      return {o["order_number"], phone.substr(phone.size() - 4), o["shipment"]["carrier_en"]};
    }
  }
  return {};
}

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Socket = websocket::stream<boost::asio::ip::tcp::socket>;

// "2026" -> "two zero two six": how a shopper reads a number out.
std::string Spoken(const std::string& digits) {
  static const char* kWords[] = {"zero", "one", "two",   "three", "four",
                                 "five", "six", "seven", "eight", "nine"};
  std::string out;
  for (char c : digits) {
    out += (out.empty() ? "" : " ") + std::string(kWords[c - '0']);
  }
  return out;
}

class VoiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewSqliteStore({.path = dir_.File("kefu.db")}));
    ASSERT_OK(demo::ResetDemoShop(*store_, kefu::testing::SourceDataDir() + "/demo"));
    engine_ = std::move(*engine::Engine::Create(*store_, SystemClock(),
                                                {.data_dir = kefu::testing::SourceDataDir()}));
    api_ = std::make_unique<Api>(*engine_, ApiOptions{});
    speech::PocketsphinxOptions po;
    po.lm_path = KEFU_TEST_DOMAIN_LM;  // as `kefu serve` has it
    po.general_weight = 0.1;
    po.decoders = 1;
    Result<std::unique_ptr<speech::AsrEngine>> asr = speech::NewPocketsphinxAsr(po);
    ASSERT_OK_RESULT(asr);
    asr_ = std::move(*asr);
    Result<std::unique_ptr<speech::TtsEngine>> tts = speech::NewEspeakTts({});
    ASSERT_OK_RESULT(tts);
    tts_ = std::move(*tts);
    api_->SetVoice({asr_.get(), nullptr, tts_.get(), {}});
    conv_ = json::parse(Call("POST", "/v1/conversations", "", "").body);
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& auth,
                    const std::string& body) {
    RequestContext ctx = RequestContext::Unbounded("t");
    return api_->Handle({method, target, auth, "", "audio/wav", body}, ctx);
  }

  std::string Wav(const std::string& text, const std::string& lang = "en") {
    Result<speech::Speech> s = tts_->Speak(text, lang);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? speech::EncodeWav(s->samples, s->rate) : "";
  }

  HttpResponse Audio(const std::string& wav, const std::string& lang = "en") {
    return Call(
        "POST",
        "/v1/conversations/" + conv_["conversation_id"].get<std::string>() + "/audio?lang=" + lang,
        "Bearer " + conv_["token"].get<std::string>(), wav);
  }

  // A voice socket to a server started on a free port (one per test).
  std::unique_ptr<Socket> VoiceSocket(const std::string& id) {
    if (server_ == nullptr) {
      server_ = std::make_unique<HttpServer>(*api_, ServerOptions{.host = "127.0.0.1", .port = 0});
      EXPECT_OK(server_->Start());
    }
    auto ws = std::make_unique<Socket>(ioc_);
    ws->next_layer().connect(
        {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())});
    // A test that waits for a frame that never comes fails instead of hanging.
    timeval timeout{30, 0};
    setsockopt(ws->next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ws->handshake("127.0.0.1", "/v1/conversations/" + id + "/voice");
    return ws;
  }

  std::string Id() const { return conv_["conversation_id"]; }
  std::string Token() const { return conv_["token"]; }

  // Speech at 16 kHz, with `silence_ms` of quiet after it (the end of the utterance).
  std::vector<int16_t> Pcm(const std::string& text, int silence_ms = 1000) {
    Result<speech::Speech> s = tts_->Speak(text, "en");
    EXPECT_TRUE(s.ok());
    std::vector<int16_t> pcm(speech::kAsrRate / 5, 0);  // 200 ms before
    if (s.ok()) {
      std::vector<int16_t> speech = speech::Resample(s->samples, s->rate, speech::kAsrRate);
      pcm.insert(pcm.end(), speech.begin(), speech.end());
    }
    pcm.insert(pcm.end(), static_cast<size_t>(silence_ms) * speech::kAsrRate / 1000, 0);
    return pcm;
  }

  static void SendPcm(Socket& ws, std::span<const int16_t> pcm, size_t samples_per_frame) {
    ws.binary(true);
    for (size_t i = 0; i < pcm.size(); i += samples_per_frame) {
      const size_t n = std::min(samples_per_frame, pcm.size() - i);
      ws.write(boost::asio::buffer(pcm.data() + i, n * 2));
    }
  }

  static void SendText(Socket& ws, const json& j) {
    ws.text(true);
    ws.write(boost::asio::buffer(j.dump()));
  }

  // Reads frames until a text frame of `type`, returning every text frame read (the last is of
  // `type`); binary frames are counted in `binary_bytes`.
  static std::vector<json> ReadUntil(Socket& ws, const std::string& type,
                                     size_t* binary_bytes = nullptr) {
    std::vector<json> frames;
    for (int i = 0; i < 200; ++i) {
      beast::flat_buffer b;
      beast::error_code ec;
      ws.read(b, ec);
      if (ec) {
        ADD_FAILURE() << "no '" << type << "' frame: " << ec.message();
        return frames;
      }
      if (!ws.got_text()) {
        if (binary_bytes != nullptr) {
          *binary_bytes += b.size();
        }
        continue;
      }
      frames.push_back(json::parse(beast::buffers_to_string(b.data())));
      if (frames.back()["type"] == type) {
        return frames;
      }
    }
    ADD_FAILURE() << "no '" << type << "' frame in 200";
    return frames;
  }

  static std::vector<json> OfType(const std::vector<json>& frames, const std::string& type) {
    std::vector<json> out;
    for (const json& f : frames) {
      if (f["type"] == type) {
        out.push_back(f);
      }
    }
    return out;
  }

  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<speech::AsrEngine> asr_;
  std::unique_ptr<speech::TtsEngine> tts_;
  json conv_;
  boost::asio::io_context ioc_;
  std::unique_ptr<HttpServer> server_;  // last: stopped before the API it serves
};

// Speak, transcribe, answer, speak: an order's status by voice, up to the verification step.
TEST_F(VoiceTest, EnglishRoundTripTracksAnOrderByVoice) {
  const DemoOrder order = ShippedDemoOrder();
  HttpResponse ask = Audio(Wav("where is my order"));
  ASSERT_EQ(ask.status, 200) << ask.body;
  json a = json::parse(ask.body);
  EXPECT_EQ(a["intent"], "order_status") << a["transcript"];
  EXPECT_TRUE(a["trace"].contains("asr"));
  ASSERT_TRUE(a["audio"].is_object());
  // The reply spoken: a WAV ("RIFF" is "UklGR" in base64) of more than a second.
  const std::string b64 = a["audio"]["base64"];
  EXPECT_EQ(b64.rfind("UklGR", 0), 0u);
  EXPECT_GT(b64.size() * 3 / 4, static_cast<size_t>(a["audio"]["rate"].get<int>()) * 2);

  // It asks for the order number: the recogniser reads the digits with its grammar.
  HttpResponse number = Audio(Wav(Spoken(order.number)));
  ASSERT_EQ(number.status, 200) << number.body;
  json n = json::parse(number.body);
  EXPECT_EQ(n["transcript"]["grammar"], "digits");
  EXPECT_NE(n["reply"]["text"].get<std::string>().find("last four"), std::string::npos)
      << n["transcript"] << " -> " << n["reply"]["text"];

  // (How often the four verification digits come through is measured by bench/asr_eval.sh.)
}

TEST_F(VoiceTest, SilenceGetsARequestToRepeat) {
  const std::string silence =
      speech::EncodeWav(std::vector<int16_t>(speech::kAsrRate, 0), speech::kAsrRate);
  HttpResponse r = Audio(silence);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["action"], "voice_repeat") << j["transcript"];
  EXPECT_NE(j["reply"]["text"].get<std::string>().find("say it again"), std::string::npos);
}

TEST_F(VoiceTest, BadAudioGetsAClearError) {
  EXPECT_EQ(Audio("not a wav at all").status, 400);
  EXPECT_EQ(Audio("").status, 400);
  // A header that declares ten minutes is refused before anything is decoded.
  std::string ten_minutes = speech::EncodeWav(std::vector<int16_t>(16, 0), speech::kAsrRate);
  const uint32_t declared = 10 * 60 * speech::kAsrRate * 2;
  std::memcpy(&ten_minutes[40], &declared, 4);
  ten_minutes.resize(44 + 16 * 2);
  EXPECT_EQ(Audio(ten_minutes).status, 413);
  EXPECT_EQ(Audio(Wav("hello"), "fr").status, 400);
  EXPECT_EQ(Call("POST", "/v1/conversations/c_nope/audio", "Bearer x", Wav("hello")).status, 404);
  EXPECT_EQ(
      Call("POST", "/v1/conversations/" + conv_["conversation_id"].get<std::string>() + "/audio",
           "Bearer wrong", Wav("hello"))
          .status,
      403);
  // No recogniser for Mandarin without a transcription server.
  EXPECT_EQ(Audio(Wav("你好", "zh"), "zh").status, 400);
}

// Stereo 44.1 kHz audio is converted, not refused (8-bit and the other formats: speech_test).
TEST_F(VoiceTest, StereoAudioIsConverted) {
  Result<speech::Speech> s = tts_->Speak("I want to talk to a person", "en");
  ASSERT_OK_RESULT(s);
  std::vector<int16_t> mono = speech::Resample(s->samples, s->rate, 44'100);
  std::vector<int16_t> stereo;
  for (int16_t v : mono) {
    stereo.push_back(v);
    stereo.push_back(v);
  }
  // A stereo RIFF header over the interleaved samples.
  std::string wav = speech::EncodeWav(stereo, 44'100);
  const uint16_t channels = 2;
  const uint32_t byte_rate = 44'100 * 4;
  const uint16_t block_align = 4;
  std::memcpy(&wav[22], &channels, 2);
  std::memcpy(&wav[28], &byte_rate, 4);
  std::memcpy(&wav[32], &block_align, 2);
  HttpResponse r = Audio(wav);
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  EXPECT_FALSE(j["transcript"]["text"].get<std::string>().empty());
  // The whole utterance arrived: its length survives the downmix and resampling.
  const double expected_ms = 1000.0 * static_cast<double>(s->samples.size()) / s->rate;
  EXPECT_NEAR(j["trace"]["asr"]["audio_ms"].get<double>(), expected_ms, expected_ms * 0.02);
}

// Mandarin: the transcription server (a fake one here) recognises, kefu answers in Chinese and
// speaks it with espeak-ng's Mandarin voice.
TEST_F(VoiceTest, MandarinGoesThroughTheTranscriptionServer) {
  const DemoOrder order = ShippedDemoOrder();
  httplib::Server fake;
  std::string seen_model;
  fake.Post("/v1/audio/transcriptions", [&](const httplib::Request& req, httplib::Response& res) {
    seen_model = req.has_file("model") ? req.get_file_value("model").content : "";
    const bool has_wav =
        req.has_file("file") && req.get_file_value("file").content.rfind("RIFF", 0) == 0;
    res.set_content(json{{"text", has_wav ? "我的订单 " + order.number + " 到哪了" : ""},
                         {"segments", json::array({{{"avg_logprob", -0.1}}})}}
                        .dump(),
                    "application/json");
  });
  const int port = fake.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { fake.listen_after_bind(); });
  Result<std::unique_ptr<speech::AsrEngine>> remote = speech::NewOpenAiAsr(
      {"http://127.0.0.1:" + std::to_string(port) + "/v1", "", "whisper-1", 5'000});
  ASSERT_OK_RESULT(remote);
  api_->SetVoice({asr_.get(), remote->get(), tts_.get(), {}});
  HttpResponse r = Audio(Wav("我的订单到哪了", "zh"), "zh");
  fake.stop();
  serving.join();
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(seen_model, "whisper-1");
  EXPECT_EQ(j["transcript"]["engine"], "openai:whisper-1");
  EXPECT_NEAR(j["transcript"]["confidence"].get<double>(), 0.905, 0.01);
  EXPECT_EQ(j["intent"], "order_status");
  EXPECT_NE(j["reply"]["text"].get<std::string>().find("后四位"), std::string::npos)
      << j["reply"]["text"];
  ASSERT_TRUE(j["audio"].is_object());
}

// A live call: PCM frames in 100 ms pieces; partial transcripts while the shopper speaks, then,
// after the pause, the transcript, the reply, its WAV, and a listener waiting for the order
// number with the digits grammar.
TEST_F(VoiceTest, VoiceSocketStreamsPartialsAndAnswersEachUtterance) {
  std::unique_ptr<Socket> ws = VoiceSocket(Id());
  SendText(*ws, {{"type", "start"}, {"token", Token()}, {"lang", "en"}, {"rate", 16000}});
  std::vector<json> opened = ReadUntil(*ws, "listening");
  ASSERT_FALSE(opened.empty());
  EXPECT_EQ(opened.back()["grammar"], "");
  EXPECT_EQ(opened.back()["engine"], "pocketsphinx");

  SendPcm(*ws, Pcm("where is my order please"), speech::kAsrRate / 10);
  size_t wav_bytes = 0;
  std::vector<json> frames = ReadUntil(*ws, "listening", &wav_bytes);
  ASSERT_FALSE(OfType(frames, "speech_start").empty());
  const std::vector<json> partials = OfType(frames, "partial");
  ASSERT_FALSE(partials.empty()) << "no partial transcript while speaking";
  const std::vector<json> transcripts = OfType(frames, "transcript");
  ASSERT_EQ(transcripts.size(), 1u);
  EXPECT_NE(transcripts[0]["text"].get<std::string>().find("order"), std::string::npos)
      << transcripts[0];
  const std::vector<json> replies = OfType(frames, "reply");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0]["intent"], "order_status");
  EXPECT_TRUE(replies[0]["trace"].contains("asr"));
  const std::vector<json> audio = OfType(frames, "audio");
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_EQ(audio[0]["bytes"].get<size_t>(), wav_bytes);
  EXPECT_GT(wav_bytes, static_cast<size_t>(audio[0]["rate"].get<int>()) * 2);  // > 1 s
  EXPECT_EQ(frames.back()["grammar"], "digits");  // it asked for the order number

  SendText(*ws, {{"type", "hangup"}});
  beast::flat_buffer b;
  beast::error_code ec;
  ws->read(b, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws->reason().code, websocket::close_code::normal);
}

// Push to talk: {"type":"end"} answers at once, without waiting for a pause; audio at 8 kHz is
// converted.
TEST_F(VoiceTest, VoiceSocketEndsTheUtteranceOnRequestAndConvertsTheRate) {
  std::unique_ptr<Socket> ws = VoiceSocket(Id());
  SendText(*ws, {{"type", "start"}, {"token", Token()}, {"rate", 8000}});
  ReadUntil(*ws, "listening");
  const std::vector<int16_t> pcm16 = Pcm("where is my order", /*silence_ms=*/0);
  const std::vector<int16_t> pcm8 = speech::Resample(pcm16, speech::kAsrRate, 8000);
  SendPcm(*ws, pcm8, 8000 / 5);
  SendText(*ws, {{"type", "end"}});
  std::vector<json> frames = ReadUntil(*ws, "reply");
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back()["intent"], "order_status") << OfType(frames, "transcript");
}

TEST_F(VoiceTest, VoiceSocketRefusesBadStartsAndReportsBadFrames) {
  const auto close_code = [](Socket& ws) {
    beast::flat_buffer b;
    beast::error_code ec;
    ws.read(b, ec);
    EXPECT_EQ(ec, websocket::error::closed);
    return static_cast<int>(ws.reason().code);
  };
  {
    std::unique_ptr<Socket> ws = VoiceSocket(Id());
    SendText(*ws, {{"type", "start"}, {"token", "wrong"}});
    EXPECT_EQ(close_code(*ws), 4401);
  }
  {
    std::unique_ptr<Socket> ws = VoiceSocket("c_nope");
    SendText(*ws, {{"type", "start"}, {"token", Token()}});
    EXPECT_EQ(close_code(*ws), 4404);
  }
  {
    std::unique_ptr<Socket> ws = VoiceSocket(Id());
    SendText(*ws, {{"type", "start"}, {"token", Token()}, {"rate", 1000}});
    EXPECT_EQ(close_code(*ws), 4400);
  }
  {
    std::unique_ptr<Socket> ws = VoiceSocket(Id());
    SendText(*ws, {{"type", "start"}, {"token", Token()}, {"lang", "fr"}});
    EXPECT_EQ(close_code(*ws), 4400);
  }
  std::unique_ptr<Socket> ws = VoiceSocket(Id());
  SendText(*ws, {{"type", "start"}, {"token", Token()}});
  ReadUntil(*ws, "listening");
  ws->binary(true);
  ws->write(boost::asio::buffer(std::string("abc")));  // not whole samples
  std::vector<json> err = ReadUntil(*ws, "error");
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.back()["error"]["code"], "invalid_argument");
  SendText(*ws, {{"type", "dance"}});
  err = ReadUntil(*ws, "error");
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.back()["error"]["code"], "invalid_argument");
  // Still there: a whole utterance still gets its answer.
  SendPcm(*ws, Pcm("hello"), speech::kAsrRate / 10);
  EXPECT_FALSE(OfType(ReadUntil(*ws, "listening"), "reply").empty());
}

}  // namespace
}  // namespace kefu::server
