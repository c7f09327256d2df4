// Voice turns through the API over the demo shop: a shopper speaks (espeak-ng), kefu recognises
// it (pocketsphinx with the domain language model, digits by grammar when it waits for a number),
// answers and speaks the answer; Mandarin goes through a fake OpenAI-compatible transcription
// server on loopback; bad audio gets a clear error.
#include <cstring>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "demo/demo_shop.h"
#include "server/api.h"
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
    po.lm_path = KEFU_TEST_DOMAIN_LM;
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

  kefu::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<speech::AsrEngine> asr_;
  std::unique_ptr<speech::TtsEngine> tts_;
  json conv_;
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

}  // namespace
}  // namespace kefu::server
