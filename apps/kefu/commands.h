// One function per subcommand; each returns the process exit code (0 ok, 1 failure).
#pragma once

#include <string>
#include <vector>

#include "runtime.h"

namespace kefu::app {

struct ServeFlags {
  std::string host;
  int port = -1;  // -1: from the config
};
int RunServe(const CommonFlags& common, const ServeFlags& flags);

struct ChatFlags {
  std::string once;
  bool json = false;
};
int RunChat(const CommonFlags& common, const ChatFlags& flags);

int RunDemoReset(const CommonFlags& common);

struct TrainIntentFlags {
  std::string data;
  std::string split = "all";  // with "train", the "dev" rows of the same file calibrate
  std::string dev;            // a separate calibration file
  std::string out;
  std::string oos_label = "out_of_scope";
  int epochs = 30;
  double learning_rate = 0.4;
  double l2 = 1e-6;
  bool idf = false;
  double min_oos_recall = 0.6;
  int hidden = 64;  // hidden-layer units beside the linear model; 0: linear only
  int hidden_epochs = 10;
  double label_smoothing = 0;  // share of each target spread over all labels
  // Optional feature families, comma-separated: edges, trigrams, pinyin, crossgrams; "none" for
  // the base set.
  std::string features = "edges,pinyin,crossgrams";
  // After calibrating, train again on the training and calibration rows together and keep the
  // calibration: the model learns from every row that is not held out.
  bool refit = false;
  // Pretrained word vectors (word2vec binary or text, GloVe text) for a dense head beside the
  // n-gram models; empty: none. The model file then holds the vectors.
  std::string embeddings;
  size_t embeddings_max_words = 0;  // 0: every word in the file
  int dense_hidden = 256;
  int dense_epochs = 30;
};
int RunTrainIntent(const TrainIntentFlags& flags);

struct EvalIntentFlags {
  std::string data;
  std::string split = "all";
  std::string model;
  std::string report;
  std::string oos_label = "out_of_scope";
  std::string predictions;  // optional TSV: gold, predicted, confidence, raw top, raw prob
};
int RunEvalIntent(const EvalIntentFlags& flags);

struct TrainSentimentFlags {
  std::vector<std::string> data;  // sentiment/classifier.h: the project's format or text<TAB>label
  std::string out;
  std::string lexicon;  // the lexicon the stacker learns to weigh; empty: data/sentiment
  int epochs = 0;       // 0: chosen on a held-out tenth (3, 10 or 30)
  int folds = 5;        // out-of-fold predictions for the stacker; 1: classifier only
};
int RunTrainSentiment(const TrainSentimentFlags& flags);

struct EvalSentimentFlags {
  std::string data;
  std::string model;               // default: the one built with kefu
  std::string lexicon;             // empty: data/sentiment
  std::string reader = "shipped";  // shipped (lexicon + model), model, lexicon
  std::string report;              // a directory for the F1 chart and JSON
  std::string predictions;         // a TSV of every message's reading
};
int RunEvalSentiment(const EvalSentimentFlags& flags);

struct NluFlags {
  std::string text;
  bool pretty = false;
};
int RunNlu(const CommonFlags& common, const NluFlags& flags);

struct KbImportFlags {
  std::vector<std::string> paths;
  std::string category;
  std::string lang;
};
int RunKbImport(const CommonFlags& common, const KbImportFlags& flags);
int RunKbList(const CommonFlags& common, bool json);
int RunKbRemove(const CommonFlags& common, const std::string& id);

struct KbSearchFlags {
  std::string query;
  int k = 5;
  bool json = false;
  std::string mode = "hybrid";
  std::string lang;
  std::string category;
};
int RunKbSearch(const CommonFlags& common, const KbSearchFlags& flags);

struct TrainEmbeddingFlags {
  std::string out;
  int dim = 64;
  // 30 passes over data/ (about 17k texts): vectors alone reach MRR 0.66 on a held-out
  // paraphrase per demo FAQ, against 0.58 with 10 (bench/results/retrieval.md).
  int epochs = 30;
  std::vector<std::string> extra;  // more documents to learn from
};
int RunTrainEmbedding(const CommonFlags& common, const TrainEmbeddingFlags& flags);

struct TrainQuestionsFlags {
  std::string out;
};
// The demo shop's FAQ question model (kb/retriever.h), made the way `kefu serve` would make it
// on an empty database, so that serving the demo loads it instead of training.
int RunTrainQuestions(const CommonFlags& common, const TrainQuestionsFlags& flags);

struct EvalRetrievalFlags {
  std::string data;
  std::vector<std::string> import;
  std::string mode = "all";
  std::string lang;
  std::string report;
  std::string ranks;            // TSV of each query's rank per mode, for reading the misses
  bool train_embedding = true;  // with --import: learn the embedding from the imported text
  int embedding_epochs = 0;     // 0: enough passes to see about 2 million tokens (10 at least)
};
int RunEvalRetrieval(const CommonFlags& common, const EvalRetrievalFlags& flags);

struct EvalSimilarityFlags {
  std::string data;
  std::string model;  // "" = the configured embedding, "none" = lexical only
};
int RunEvalSimilarity(const CommonFlags& common, const EvalSimilarityFlags& flags);

struct TestDialogsFlags {
  std::vector<std::string> paths;  // scenario files, or directories of *.yaml / *.yml
  bool verbose = false;            // print each turn's reply
  std::string filter;              // run only scenarios whose name or file contains this
};
// Runs dialogue scenarios (src/scenario/scenario.h); 0 only when some ran and none failed.
int RunTestDialogs(const CommonFlags& common, const TestDialogsFlags& flags);

struct BenchDialogFlags {
  int iterations = 200;
  int warmup = 20;
  std::string report;  // a Markdown file for the table and histogram
};
int RunBenchDialog(const CommonFlags& common, const BenchDialogFlags& flags);

// `kefu llm check`: one streamed request to the configured LLM; prints time to first token,
// total time and tokens/s. 1 when no LLM is configured or the request fails.
int RunLlmCheck(const CommonFlags& common);

// Voice (speech_cmd.cc).
struct TrainLmFlags {
  std::string out;
  int order = 3;
};
// The domain language model from the project's own English text (speech::DomainSentences).
int RunTrainLm(const CommonFlags& common, const TrainLmFlags& flags);
struct TranscribeFlags {
  std::string file;
  std::string lm = "domain";  // domain, general, or a model file
  std::string grammar;        // "", digits, yes_no
  bool json = false;
};
int RunTranscribe(const CommonFlags& common, const TranscribeFlags& flags);
struct SpeakFlags {
  std::string text;
  std::string out;
  std::string lang = "en";
  std::string voice;         // an espeak-ng voice in place of the language's default
  int words_per_minute = 0;  // 0: the default
};
int RunSpeak(const SpeakFlags& flags);
struct EvalAsrFlags {
  std::string data;  // x.wav + x.txt pairs; a digits/ folder is decoded with the digits grammar
  std::string lm = "domain";
  std::string lang = "en";        // zh: character error rate
  std::string transcription_url;  // evaluate an OpenAI-compatible server instead
  std::string errors;             // a TSV of every file that had errors
};
int RunEvalAsr(const CommonFlags& common, const EvalAsrFlags& flags);

// A one-line progress bar on stderr, finished with a newline when done == total.
void PrintProgress(const char* what, size_t done, size_t total);

// Prints "kefu: <message>" on stderr and returns 1.
int Fail(const Status& status);

}  // namespace kefu::app
