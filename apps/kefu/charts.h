// Charts for the eval commands (kefu eval intent, kefu eval sentiment).
#pragma once

#include <map>
#include <string>

#include "nlu/intent_data.h"

namespace kefu::app {

// A horizontal bar chart of per-label F1, worst first, as a self-contained HTML page (inline
// SVG): green from 0.95, amber from 0.85, red below.
std::string F1ChartHtml(const std::string& title,
                        const std::map<std::string, nlu::LabelScore>& per_label);

}  // namespace kefu::app
