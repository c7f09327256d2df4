#include <algorithm>
#include <iostream>

#include "commands.h"
#include "core/logging.h"
#include "server/http_server.h"

namespace kefu::app {

int RunServe(const CommonFlags& common, const ServeFlags& flags) {
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  if (!flags.host.empty()) {
    config->server.host = flags.host;
  }
  if (flags.port >= 0) {
    config->server.port = flags.port;
  }
  Result<Runtime> rt = OpenRuntime(*config, /*load_demo_if_empty=*/true);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  const ServerConfig& sc = config->server;
  // A turn with a model waits on it for up to seconds: one turn per worker, as many workers as
  // the model may serve at once, so one slow reply never holds up the others.
  const bool with_model = rt->llm != nullptr;
  const int workers =
      with_model ? std::max(sc.worker_threads, config->llm.max_concurrency) : sc.worker_threads;
  // A streamed answer may take the model's total time; its first words are still due within
  // llm.first_token_timeout_ms, or the template answers.
  const int turn_deadline_ms =
      with_model ? std::max(config->engine.turn_deadline_ms, config->llm.total_timeout_ms + 500)
                 : config->engine.turn_deadline_ms;
  server::Api api(*rt->engine,
                  {.max_body_bytes = sc.max_body_bytes,
                   .max_audio_bytes = config->speech.max_audio_bytes,
                   .turn_deadline_ms = turn_deadline_ms,
                   .history_page_limit = config->engine.history_page_limit,
                   .max_upload_bytes = config->kb.max_upload_bytes,
                   .admin_key = config->kb.admin_key,
                   .agent_key = sc.agent_key},
                  rt->kb.get());
  // Voice turns: the engines live as long as the server.
  Result<VoiceRuntime> voice = OpenVoice(*config);
  if (!voice.ok()) {
    return Fail(voice.status());
  }
  api.SetVoice({voice->asr_en.get(), voice->asr_remote.get(), voice->tts.get(), voice->limits});
  server::HttpServer http(api, {.host = sc.host,
                                .port = sc.port,
                                .io_threads = sc.io_threads,
                                .worker_threads = workers,
                                .max_batch = with_model ? 1 : sc.max_batch,
                                .queue_limit = sc.queue_limit,
                                .max_body_bytes = sc.max_body_bytes,
                                .request_timeout_ms = sc.request_timeout_ms,
                                .shutdown_grace_ms = sc.shutdown_grace_ms,
                                .turn_deadline_ms = turn_deadline_ms,
                                // A voice thread per decoder: more would wait for one.
                                .voice_threads = std::max(config->speech.decoders, 1)});
  if (Status s = http.Start(); !s.ok()) {
    return Fail(s);
  }
  http.StopOnSignals();
  const std::string host = sc.host.find(':') != std::string::npos ? "[" + sc.host + "]" : sc.host;
  std::cout << "kefu is serving on http://" << host << ":" << http.port() << "/" << std::endl;
  KEFU_LOG_INFO("serving db={} data={}", config->store.db_path, rt->data_dir);
  http.Wait();
  KEFU_LOG_INFO("stopped");
  return 0;
}

}  // namespace kefu::app
