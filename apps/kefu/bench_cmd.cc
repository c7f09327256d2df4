// kefu bench dialog: the latency of whole turns (no LLM) on the demo shop, in process: each
// iteration holds the same mix of dialogues in fresh conversations (order status with
// verification in zh and en, a return up to its confirmation and declined there, a product
// search, a policy question, small talk) and times every HandleTurn. Prints percentiles per
// kind and overall, a histogram, and writes a Markdown report.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>

#include "commands.h"
#include "demo/demo_shop.h"

namespace kefu::app {
namespace {

struct Script {
  std::string kind;
  std::vector<std::string> turns;  // {order} and {digits} are filled per iteration
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(std::ceil(p * v.size())) - 1);
  return v[i];
}

std::string Fill(std::string s, const std::string& order, const std::string& digits) {
  for (const auto& [k, v] :
       {std::pair<std::string, std::string>{"{order}", order}, {"{digits}", digits}}) {
    for (size_t pos; (pos = s.find(k)) != std::string::npos;) {
      s.replace(pos, k.size(), v);
    }
  }
  return s;
}

}  // namespace

int RunBenchDialog(const CommonFlags& common, const BenchDialogFlags& flags) {
  Result<Runtime> rt = OpenRuntime(common, /*load_demo_if_empty=*/true);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  Result<store::ShopData> shop = demo::LoadDemoShop(rt->data_dir + "/demo");
  if (!shop.ok()) {
    return Fail(shop.status());
  }
  std::vector<std::pair<std::string, std::string>> delivered;  // order, last four digits
  for (const store::OrderDetails& o : shop->orders) {
    if (o.order.status == "delivered" && o.order.phone.size() >= 4) {
      delivered.emplace_back(o.order.order_number, o.order.phone.substr(o.order.phone.size() - 4));
    }
  }
  if (delivered.empty()) {
    return Fail(FailedPreconditionError("the demo shop has no delivered orders"));
  }
  const std::vector<Script> scripts = {
      {"order_status_zh", {"我的订单 {order} 到哪了？", "{digits}", "谢谢"}},
      {"order_status_en", {"Where is my order {order}?", "{digits}"}},
      {"return_declined_zh", {"我想退货，订单号{order}", "{digits}", "尺码不合适", "算了"}},
      {"product_search_zh", {"有没有300元以内的跑鞋"}},
      {"kb_question_zh", {"退货运费谁出？"}},
      {"kb_question_en", {"How long does delivery take?"}},
      {"greeting", {"你好"}},
  };
  std::map<std::string, std::vector<double>> by_kind;
  std::vector<double> all;
  const int total = flags.iterations + flags.warmup;
  for (int it = 0; it < total; ++it) {
    const auto& [order, digits] = delivered[it % delivered.size()];
    for (const Script& script : scripts) {
      Result<engine::NewConversation> conv = rt->engine->CreateConversation("bench");
      if (!conv.ok()) {
        return Fail(conv.status());
      }
      for (const std::string& t : script.turns) {
        RequestContext ctx =
            RequestContext::WithTimeout(engine::NewTraceId(), std::chrono::seconds(30));
        const auto start = std::chrono::steady_clock::now();
        Result<engine::TurnResult> r =
            rt->engine->HandleTurn({conv->id, Fill(t, order, digits), std::nullopt}, ctx);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (!r.ok()) {
          return Fail(r.status());
        }
        if (it >= flags.warmup) {
          by_kind[script.kind].push_back(ms);
          all.push_back(ms);
        }
      }
    }
    PrintProgress("turns", static_cast<size_t>(it + 1), static_cast<size_t>(total));
  }
  std::ostringstream md;
  md << "| dialogue | turns | p50 ms | p90 ms | p99 ms | max ms "
        "|\n|---|---:|---:|---:|---:|---:|\n";
  auto row = [&](const std::string& name, const std::vector<double>& v) {
    char buf[200];
    std::snprintf(buf, sizeof(buf), "| %s | %zu | %.3f | %.3f | %.3f | %.3f |\n", name.c_str(),
                  v.size(), Percentile(v, 0.5), Percentile(v, 0.9), Percentile(v, 0.99),
                  v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
    md << buf;
  };
  for (const auto& [kind, v] : by_kind) {
    row(kind, v);
  }
  row("**all turns**", all);
  // A histogram of all turns, on a log scale of latency, as text bars.
  md << "\n```\nlatency of all turns (each # is 1% of turns)\n";
  const std::vector<double> edges = {0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 1e9};
  double lo = 0;
  for (double hi : edges) {
    const size_t n = static_cast<size_t>(
        std::count_if(all.begin(), all.end(), [&](double x) { return x >= lo && x < hi; }));
    char label[64];
    if (hi > 1e8) {
      std::snprintf(label, sizeof(label), ">= %5.2f ms", lo);
    } else {
      std::snprintf(label, sizeof(label), "< %6.2f ms", hi);
    }
    const size_t bars = all.empty() ? 0 : (n * 100 + all.size() / 2) / all.size();
    md << label << " | " << std::string(bars, '#') << " " << n << "\n";
    lo = hi;
  }
  md << "```\n";
  std::cout << md.str();
  if (!flags.report.empty()) {
    std::ofstream out(flags.report);
    out << md.str();
    if (!out) {
      return Fail(UnavailableError("cannot write " + flags.report));
    }
  }
  std::cout << "{\"turns\": " << all.size() << ", \"p50_ms\": " << Percentile(all, 0.5)
            << ", \"p99_ms\": " << Percentile(all, 0.99) << "}\n";
  return 0;
}

}  // namespace kefu::app
