// Text and JSON of what the int8 passes did (for the CLI and NAME.json).
#pragma once

#include <string>

#include "quant/ptq.h"

namespace emlc {

// True if there is anything to report (a quantized or QDQ model).
bool hasQuantReport(const QuantResult& r);
// Human-readable summary: int8/float node counts and the float nodes with
// reasons, calibration, accuracy, the budget's choice and (when measured)
// per-layer SQNR worst first (at most `max_layers` lines, 0 = all).
std::string quantSummary(const QuantResult& r, size_t max_layers);
// The "quantization" member of NAME.json (a JSON object, no trailing comma).
std::string quantJson(const QuantResult& r);

}  // namespace emlc
