// Charts for the eval commands: self-contained HTML pages with inline SVG.
#include "charts.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace kefu::app {

std::string F1ChartHtml(const std::string& title,
                        const std::map<std::string, nlu::LabelScore>& per_label) {
  std::vector<std::pair<std::string, nlu::LabelScore>> rows(per_label.begin(), per_label.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.f1 < b.second.f1; });
  const int bar_h = 18, label_w = 260, chart_w = 520, top = 40;
  const int height = top + static_cast<int>(rows.size()) * bar_h + 30;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" +
                    std::to_string(label_w + chart_w + 80) + "' height='" + std::to_string(height) +
                    "' font-family='sans-serif' font-size='12'>";
  svg += "<text x='10' y='20' font-size='15' font-weight='bold'>" + title + "</text>";
  for (size_t i = 0; i < rows.size(); ++i) {
    const int y = top + static_cast<int>(i) * bar_h;
    const double f1 = rows[i].second.f1;
    const int w = static_cast<int>(f1 * chart_w);
    const char* colour = f1 >= 0.95 ? "#2e8b57" : f1 >= 0.85 ? "#e0a800" : "#d9534f";
    char value[32];
    std::snprintf(value, sizeof(value), "%.3f (n=%d)", f1, rows[i].second.support);
    svg += "<text x='" + std::to_string(label_w - 6) + "' y='" + std::to_string(y + 13) +
           "' text-anchor='end'>" + rows[i].first + "</text>";
    svg += "<rect x='" + std::to_string(label_w) + "' y='" + std::to_string(y + 2) + "' width='" +
           std::to_string(w) + "' height='" + std::to_string(bar_h - 4) + "' fill='" + colour +
           "'/>";
    svg += "<text x='" + std::to_string(label_w + w + 4) + "' y='" + std::to_string(y + 13) + "'>" +
           value + "</text>";
  }
  svg += "</svg>";
  return "<!doctype html><meta charset='utf-8'><title>" + title + "</title><body>" + svg +
         "</body>";
}

}  // namespace kefu::app
