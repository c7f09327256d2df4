// kefu: the one command-line tool. Exit codes: 0 success, 2 usage error, 1 other failures.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"

namespace kefu::app {

int Fail(const Status& status) {
  std::cerr << "kefu: " << status.ToString() << std::endl;
  return 1;
}

namespace {

void AddCommonFlags(CLI::App& cmd, CommonFlags& common) {
  cmd.add_option("--config", common.config_path, "TOML config file (default: ./kefu.toml)");
  cmd.add_option("--db", common.db_path,
                 "SQLite database path (default: store.db_path, ./kefu.db)");
  cmd.add_option("--data-dir", common.data_dir, "data directory with templates/ and demo/");
  cmd.add_option("--log-level", common.log_level, "trace, debug, info, warn, error, off");
  cmd.add_option("--intent-model", common.intent_model,
                 "intent model from `kefu train intent` (default: the one built with kefu)");
}

}  // namespace
}  // namespace kefu::app

int main(int argc, char** argv) {
  using namespace kefu::app;
  CLI::App app{"kefu: a self-hosted customer-service engine for e-commerce shops"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kefu 0.1.0");

  CommonFlags common;
  ServeFlags serve_flags;
  ChatFlags chat_flags;

  CLI::App* serve = app.add_subcommand("serve", "Serve the HTTP API and chat page");
  AddCommonFlags(*serve, common);
  serve->add_option("--host", serve_flags.host, "address to listen on (default 127.0.0.1)");
  serve->add_option("--port", serve_flags.port, "port (default 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));

  CLI::App* chat = app.add_subcommand("chat", "Chat with the engine in the terminal");
  AddCommonFlags(*chat, common);
  chat->add_option("--once", chat_flags.once, "answer one message and exit");
  chat->add_flag("--json", chat_flags.json, "print each reply as JSON with its trace");

  CLI::App* demo = app.add_subcommand("demo", "Manage the demo shop");
  demo->require_subcommand(1);
  CLI::App* reset = demo->add_subcommand("reset", "Replace the shop data with the demo shop");
  AddCommonFlags(*reset, common);

  NluFlags nlu_flags;
  CLI::App* nlu = app.add_subcommand("nlu", "Print what kefu understands in a message, as JSON");
  AddCommonFlags(*nlu, common);
  nlu->add_option("text", nlu_flags.text, "the message")->required();
  nlu->add_flag("--pretty", nlu_flags.pretty, "indent the JSON");

  TrainIntentFlags train_flags;
  CLI::App* train = app.add_subcommand("train", "Train models from labelled data");
  train->require_subcommand(1);
  CLI::App* train_intent = train->add_subcommand("intent", "Train the intent classifier");
  train_intent->add_option("--data", train_flags.data, "TSV: text<TAB>label[<TAB>lang]")
      ->required();
  train_intent->add_option("--out", train_flags.out, "where to write the model")->required();
  train_intent->add_option("--split", train_flags.split, "all, train, dev or test (default all)");
  train_intent->add_option("--dev", train_flags.dev, "TSV used to calibrate confidence");
  train_intent->add_option("--oos-label", train_flags.oos_label, "the out-of-scope label");
  train_intent->add_option("--epochs", train_flags.epochs, "training epochs (default 30)")
      ->check(CLI::Range(1, 1000));
  train_intent->add_option("--lr", train_flags.learning_rate, "Adagrad learning rate (0.4)");
  train_intent->add_option("--l2", train_flags.l2, "L2 penalty (1e-6)");
  train_intent->add_flag("--idf", train_flags.idf, "weight features by TF-IDF");
  train_intent->add_option("--min-oos-recall", train_flags.min_oos_recall,
                           "out-of-scope recall the threshold must reach on dev (0.6)");
  train_intent
      ->add_option("--hidden", train_flags.hidden,
                   "hidden-layer units trained beside the linear model (64; 0: linear only)")
      ->check(CLI::Range(0, 1024));
  train_intent
      ->add_option("--label-smoothing", train_flags.label_smoothing,
                   "share of each training target spread over all labels (0)")
      ->check(CLI::Range(0.0, 0.5));
  train_intent->add_option("--hidden-epochs", train_flags.hidden_epochs, "hidden-layer epochs (10)")
      ->check(CLI::Range(1, 1000));
  train_intent->add_option("--features", train_flags.features,
                           "optional feature families, comma-separated: edges (first and last "
                           "token), trigrams (word trigrams), pinyin, crossgrams (character "
                           "3-5-grams across the spaces between words); none: the base set only "
                           "(default edges,pinyin,crossgrams)");
  train_intent->add_option("--embeddings", train_flags.embeddings,
                           "pretrained word vectors (word2vec binary or text, GloVe text) for a "
                           "dense head beside the n-gram models; the model then holds them");
  train_intent->add_option("--embeddings-max-words", train_flags.embeddings_max_words,
                           "keep only the first N words of the vectors file (0: all)");
  train_intent
      ->add_option("--dense-hidden", train_flags.dense_hidden, "dense-head hidden units (256)")
      ->check(CLI::Range(1, 4096));
  train_intent->add_option("--dense-epochs", train_flags.dense_epochs, "dense-head epochs (30)")
      ->check(CLI::Range(1, 1000));
  train_intent->add_flag("--refit", train_flags.refit,
                         "after calibrating, train again on the training and calibration rows "
                         "together, keeping the calibration");

  TrainSentimentFlags train_sentiment_flags;
  CLI::App* train_sentiment = train->add_subcommand(
      "sentiment", "Train the sentiment model (classifier + lexicon stacker)");
  train_sentiment
      ->add_option("--data", train_sentiment_flags.data,
                   "TSV: text<TAB>label (negative/neutral/positive or 0/1), or the project's "
                   "lang<TAB>polarity<TAB>emotion<TAB>text; several files may be given")
      ->required();
  train_sentiment->add_option("--lexicon", train_sentiment_flags.lexicon,
                              "lexicon directory (default: data/sentiment)");
  train_sentiment
      ->add_option("--folds", train_sentiment_flags.folds,
                   "folds for the stacker's out-of-fold predictions (5; 1: classifier only)")
      ->check(CLI::Range(1, 20));
  train_sentiment->add_option("--out", train_sentiment_flags.out, "where to write the model")
      ->required();
  train_sentiment
      ->add_option("--epochs", train_sentiment_flags.epochs,
                   "training epochs (0, the default: 3, 10 or 30, chosen on a held-out tenth)")
      ->check(CLI::Range(0, 1000));

  EvalIntentFlags eval_flags;
  eval_flags.model = KEFU_DEFAULT_INTENT_MODEL;
  CLI::App* eval = app.add_subcommand("eval", "Measure models on labelled data");
  eval->require_subcommand(1);
  CLI::App* eval_intent = eval->add_subcommand("intent", "Measure the intent classifier");
  eval_intent->add_option("--data", eval_flags.data, "TSV: text<TAB>label[<TAB>lang]")->required();
  eval_intent->add_option("--model", eval_flags.model, "model (default: the shipped one)");
  eval_intent->add_option("--split", eval_flags.split, "all, train, dev or test (default all)");
  eval_intent->add_option("--report", eval_flags.report, "directory for the F1 chart and JSON");
  eval_intent->add_option("--oos-label", eval_flags.oos_label, "the out-of-scope label");
  eval_intent->add_option("--predictions", eval_flags.predictions,
                          "write each prediction to this TSV: gold, predicted, confidence, the "
                          "raw top label, its probability, the text");

  EvalSentimentFlags eval_sentiment_flags;
  eval_sentiment_flags.model = KEFU_DEFAULT_SENTIMENT_MODEL;
  CLI::App* eval_sentiment =
      eval->add_subcommand("sentiment", "Accuracy, macro-F1, confusion and anger recall");
  eval_sentiment
      ->add_option(
          "--data", eval_sentiment_flags.data,
          "TSV: text<TAB>label (negative/neutral/positive or 0/1), or the project's format")
      ->required();
  eval_sentiment->add_option("--model", eval_sentiment_flags.model,
                             "model (default: the shipped one)");
  eval_sentiment->add_option("--lexicon", eval_sentiment_flags.lexicon,
                             "lexicon directory (default: data/sentiment)");
  eval_sentiment
      ->add_option("--reader", eval_sentiment_flags.reader,
                   "shipped (lexicon + model, what kefu serves), model or lexicon")
      ->check(CLI::IsMember({"shipped", "model", "lexicon"}));
  eval_sentiment->add_option("--report", eval_sentiment_flags.report,
                             "directory for the F1 chart and JSON");
  eval_sentiment->add_option("--predictions", eval_sentiment_flags.predictions,
                             "write each message's reading to this TSV");

  TrainEmbeddingFlags embed_flags;
  embed_flags.out = KEFU_DEFAULT_KB_EMBEDDING;
  CLI::App* train_embedding =
      train->add_subcommand("embedding", "Train the knowledge base's embedding from data/");
  AddCommonFlags(*train_embedding, common);
  train_embedding->add_option("--out", embed_flags.out, "where to write the model");
  train_embedding->add_option("--dim", embed_flags.dim, "vector size (default 64)")
      ->check(CLI::Range(8, 1024));
  train_embedding->add_option("--epochs", embed_flags.epochs, "training epochs (default 30)")
      ->check(CLI::Range(1, 1000));
  train_embedding->add_option("--extra", embed_flags.extra, "more documents to learn from");

  TrainQuestionsFlags questions_flags;
  questions_flags.out = KEFU_DEFAULT_KB_QUESTION_MODEL;
  CLI::App* train_questions =
      train->add_subcommand("questions", "Train the demo shop's FAQ question model from data/kb");
  AddCommonFlags(*train_questions, common);
  train_questions->add_option("--out", questions_flags.out, "where to write the model");

  EvalRetrievalFlags retrieval_flags;
  CLI::App* eval_retrieval =
      eval->add_subcommand("retrieval", "Measure knowledge-base retrieval on labelled queries");
  AddCommonFlags(*eval_retrieval, common);
  eval_retrieval
      ->add_option("--data", retrieval_flags.data,
                   "JSONL: {\"query\": ..., \"relevant\": [document ids]}")
      ->required();
  eval_retrieval->add_option("--import", retrieval_flags.import,
                             "documents to import into a temporary knowledge base first");
  eval_retrieval->add_option("--mode", retrieval_flags.mode, "all, hybrid, bm25 or vector");
  eval_retrieval->add_option("--lang", retrieval_flags.lang, "search only zh or en documents");
  eval_retrieval->add_option("--report", retrieval_flags.report, "directory for the chart");
  eval_retrieval->add_option("--ranks", retrieval_flags.ranks,
                             "write each query's result to this TSV: mode, rank of the first "
                             "relevant document (0: not in the top 30), relevant ids, the top 3 "
                             "document ids, the query");
  eval_retrieval->add_option("--embedding-epochs", retrieval_flags.embedding_epochs,
                             "with --import: training passes (default: scaled to the corpus)");
  eval_retrieval->add_flag("!--no-train", retrieval_flags.train_embedding,
                           "with --import: use the configured embedding instead of learning "
                           "one from the imported documents");

  EvalSimilarityFlags similarity_flags;
  CLI::App* eval_similarity = eval->add_subcommand(
      "similarity", "ROC-AUC of question-to-question similarity on labelled pairs");
  AddCommonFlags(*eval_similarity, common);
  eval_similarity
      ->add_option("--data", similarity_flags.data, "JSONL: {sentence1, sentence2, label 0/1}")
      ->required();
  eval_similarity->add_option("--model", similarity_flags.model,
                              "embedding file, or none (default: the configured one)");

  CLI::App* kb = app.add_subcommand("kb", "Manage the knowledge base");
  kb->require_subcommand(1);
  KbImportFlags import_flags;
  CLI::App* kb_import = kb->add_subcommand("import", "Import documents (files or directories)");
  AddCommonFlags(*kb_import, common);
  kb_import->add_option("paths", import_flags.paths, "files or directories")->required();
  kb_import->add_option("--category", import_flags.category, "category of every document");
  kb_import->add_option("--lang", import_flags.lang, "zh or en (default: detected)");
  bool list_json = false;
  CLI::App* kb_list = kb->add_subcommand("list", "List the documents");
  AddCommonFlags(*kb_list, common);
  kb_list->add_flag("--json", list_json, "print JSON");
  std::string rm_id;
  CLI::App* kb_rm = kb->add_subcommand("rm", "Remove one document");
  AddCommonFlags(*kb_rm, common);
  kb_rm->add_option("id", rm_id, "the document id (kefu kb list shows them)")->required();
  KbSearchFlags search_flags;
  CLI::App* kb_search = kb->add_subcommand("search", "Search the knowledge base");
  AddCommonFlags(*kb_search, common);
  kb_search->add_option("query", search_flags.query, "the question")->required();
  kb_search->add_option("--k", search_flags.k, "how many chunks (default 5)")
      ->check(CLI::Range(1, 100));
  kb_search->add_flag("--json", search_flags.json, "print JSON");
  kb_search->add_option("--mode", search_flags.mode, "hybrid, bm25 or vector");
  kb_search->add_option("--lang", search_flags.lang, "only zh or en documents");
  kb_search->add_option("--category", search_flags.category, "only this category");

  TestDialogsFlags dialogs_flags;
  CLI::App* test_dialogs = app.add_subcommand(
      "test-dialogs", "Run dialogue scenario files (YAML), each against a fresh temporary store");
  AddCommonFlags(*test_dialogs, common);
  test_dialogs->add_option("paths", dialogs_flags.paths, "scenario files or directories")
      ->required();
  test_dialogs->add_flag("--verbose,-v", dialogs_flags.verbose, "print each turn's reply");
  test_dialogs->add_option("--filter", dialogs_flags.filter,
                           "run only scenarios whose name or file contains this text");

  BenchDialogFlags bench_flags;
  CLI::App* bench = app.add_subcommand("bench", "Measure speed");
  bench->require_subcommand(1);
  CLI::App* bench_dialog = bench->add_subcommand(
      "dialog", "Time whole turns (no LLM) of a fixed dialogue mix on the demo shop, in process");
  AddCommonFlags(*bench_dialog, common);
  bench_dialog
      ->add_option("--iterations", bench_flags.iterations, "rounds of the mix (default 200)")
      ->check(CLI::Range(1, 100000));
  bench_dialog->add_option("--warmup", bench_flags.warmup, "untimed rounds first (default 20)")
      ->check(CLI::Range(0, 10000));
  bench_dialog->add_option("--report", bench_flags.report, "write the table to this Markdown file");

  CLI::App* llm = app.add_subcommand("llm", "Work with the configured LLM server");
  llm->require_subcommand(1);
  CLI::App* llm_check = llm->add_subcommand(
      "check", "Send one streamed request; print time to first token and tokens/s");
  AddCommonFlags(*llm_check, common);

  TrainLmFlags lm_flags;
  lm_flags.out = KEFU_DEFAULT_DOMAIN_LM;
  CLI::App* train_lm = train->add_subcommand(
      "lm", "Build the English speech language model (ARPA) from the project's own text");
  AddCommonFlags(*train_lm, common);
  train_lm->add_option("--out", lm_flags.out, "where to write the ARPA model");
  train_lm->add_option("--order", lm_flags.order, "n-gram order (default 3)")
      ->check(CLI::Range(1, 5));

  TranscribeFlags transcribe_flags;
  CLI::App* transcribe = app.add_subcommand("transcribe", "Recognise English speech in a WAV file");
  AddCommonFlags(*transcribe, common);
  transcribe->add_option("file", transcribe_flags.file, "WAV file (any rate, channels)")
      ->required();
  transcribe->add_option("--lm", transcribe_flags.lm,
                         "domain (default: kefu's model with a little of Debian's), domain-only, "
                         "general, or a model file");
  transcribe->add_option("--grammar", transcribe_flags.grammar, "digits or yes_no");
  transcribe->add_flag("--json", transcribe_flags.json, "print text, confidence and RTF as JSON");

  SpeakFlags speak_flags;
  CLI::App* speak = app.add_subcommand("speak", "Synthesise speech into a WAV file (espeak-ng)");
  speak->add_option("text", speak_flags.text, "what to say")->required();
  speak->add_option("--out", speak_flags.out, "the WAV file to write")->required();
  speak->add_option("--lang", speak_flags.lang, "zh or en (default en)")
      ->check(CLI::IsMember({"zh", "en"}));
  speak->add_option("--voice", speak_flags.voice, "an espeak-ng voice, e.g. en-gb");
  speak->add_option("--wpm", speak_flags.words_per_minute, "words per minute")
      ->check(CLI::Range(80, 450));

  EvalAsrFlags asr_flags;
  CLI::App* eval_asr =
      eval->add_subcommand("asr", "Word error rate and real-time factor over x.wav + x.txt pairs");
  AddCommonFlags(*eval_asr, common);
  eval_asr->add_option("--data", asr_flags.data, "directory of x.wav + x.txt (digits/ inside)")
      ->required();
  eval_asr->add_option("--lm", asr_flags.lm, "domain, domain-only, general, or a model file");
  eval_asr->add_option("--lang", asr_flags.lang, "en (WER) or zh (CER)")
      ->check(CLI::IsMember({"zh", "en"}));
  eval_asr->add_option("--transcription-url", asr_flags.transcription_url,
                       "evaluate an OpenAI-compatible transcription server instead");
  eval_asr->add_option("--errors", asr_flags.errors, "write a TSV of the files with errors");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "kefu: " << e.what() << " (see kefu --help)" << std::endl;
    return 2;
  }
  if (bench_dialog->parsed()) {
    return RunBenchDialog(common, bench_flags);
  }
  if (serve->parsed()) {
    return RunServe(common, serve_flags);
  }
  if (chat->parsed()) {
    return RunChat(common, chat_flags);
  }
  if (reset->parsed()) {
    return RunDemoReset(common);
  }
  if (nlu->parsed()) {
    return RunNlu(common, nlu_flags);
  }
  if (train_intent->parsed()) {
    return RunTrainIntent(train_flags);
  }
  if (eval_intent->parsed()) {
    return RunEvalIntent(eval_flags);
  }
  if (train_sentiment->parsed()) {
    return RunTrainSentiment(train_sentiment_flags);
  }
  if (eval_sentiment->parsed()) {
    return RunEvalSentiment(eval_sentiment_flags);
  }
  if (train_questions->parsed()) {
    return RunTrainQuestions(common, questions_flags);
  }
  if (train_embedding->parsed()) {
    return RunTrainEmbedding(common, embed_flags);
  }
  if (eval_retrieval->parsed()) {
    return RunEvalRetrieval(common, retrieval_flags);
  }
  if (eval_similarity->parsed()) {
    return RunEvalSimilarity(common, similarity_flags);
  }
  if (kb_import->parsed()) {
    return RunKbImport(common, import_flags);
  }
  if (kb_list->parsed()) {
    return RunKbList(common, list_json);
  }
  if (kb_rm->parsed()) {
    return RunKbRemove(common, rm_id);
  }
  if (kb_search->parsed()) {
    return RunKbSearch(common, search_flags);
  }
  if (test_dialogs->parsed()) {
    return RunTestDialogs(common, dialogs_flags);
  }
  if (llm_check->parsed()) {
    return RunLlmCheck(common);
  }
  if (train_lm->parsed()) {
    return RunTrainLm(common, lm_flags);
  }
  if (transcribe->parsed()) {
    return RunTranscribe(common, transcribe_flags);
  }
  if (speak->parsed()) {
    return RunSpeak(speak_flags);
  }
  if (eval_asr->parsed()) {
    return RunEvalAsr(common, asr_flags);
  }
  return 2;
}
