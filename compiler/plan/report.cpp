#include "plan/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "codegen/names.h"

namespace emlc {

namespace {

std::string bytesText(size_t b) {
  if (b >= 10 * 1024 * 1024) return fmt::format("{} B ({:.1f} MiB)", b, static_cast<double>(b) / 1048576.0);
  if (b >= 10 * 1024) return fmt::format("{} B ({:.1f} KiB)", b, static_cast<double>(b) / 1024.0);
  return fmt::format("{} B", b);
}

std::string shortBytes(size_t b) {
  if (b >= 1024 * 1024 && b % (1024 * 1024) == 0) return fmt::format("{}M", b / (1024 * 1024));
  if (b >= 1024 && b % 1024 == 0) return fmt::format("{}K", b / 1024);
  if (b >= 10 * 1024) return fmt::format("{:.1f}K", static_cast<double>(b) / 1024.0);
  return std::to_string(b);
}

std::string bufferName(const Graph& g, const PlannedBuffer& b) {
  if (b.scratch_of >= 0) return "scratch of " + g.label(b.scratch_of);
  if (b.extra >= 0) return b.label;
  std::string s;
  for (TensorId id : b.tensors) s += (s.empty() ? "" : " = ") + g.t(id).name;
  return s;
}

// Buffers in display order: by first step, then offset.
std::vector<size_t> displayOrder(const MemoryPlan& p) {
  std::vector<size_t> order(p.buffers.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const PlannedBuffer& x = p.buffers[a];
    const PlannedBuffer& y = p.buffers[b];
    if (x.region != y.region) return x.region < y.region;
    if (x.first != y.first) return x.first < y.first;
    return x.offset < y.offset;
  });
  return order;
}

}  // namespace

std::string xmlEscape(const std::string& s) {
  std::string r;
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': r += "&amp;"; break;
        case '<': r += "&lt;"; break;
        case '>': r += "&gt;"; break;
        case '"': r += "&quot;"; break;
        case '\'': r += "&apos;"; break;
        default: r += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c); break;
      }
      ++i;
      continue;
    }
    // Keep well-formed UTF-8 sequences (no overlongs, surrogates or values
    // above U+10FFFF); replace anything else with '?'.
    size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && len == 3) {
      const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
      if (ok && c == 0xef && c1 == 0xbf) ok = static_cast<unsigned char>(s[i + 2]) < 0xbe;  // U+FFFE/FFFF
    }
    if (ok && len == 4) {
      const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      r.append(s, i, len);
      i += len;
    } else {
      r += '?';
      ++i;
    }
  }
  return r;
}

std::string planSummary(const MemoryPlan& p, const std::string& in) {
  std::string s;
  s += fmt::format("{}arena {}, lower bound {}, arena/bound {:.3f}\n", in, bytesText(p.arena_size),
                   bytesText(p.lower_bound), p.ratio());
  const PlanSavings& v = p.savings;
  if (v.views || v.in_place || v.concat) {
    std::string why;
    auto add = [&](size_t bytes, int nodes, const char* label, const char* what) {
      if (!bytes) return;
      why += fmt::format("{}{} -{} B ({} {})", why.empty() ? " " : ", ", label, bytes, nodes, what);
    };
    add(v.views, v.view_nodes, "views", "share their input's bytes");
    add(v.in_place, v.in_place_nodes, "in place", "ops write over their dying input");
    add(v.concat, v.concat_nodes, "concat", "Concats written by their producers");
    if (p.arena_size < p.lower_bound)
      s += fmt::format("{}below the bound by {} B:{}\n", in, p.lower_bound - p.arena_size, why);
    else
      s += fmt::format("{}sharing lowered the bound of the buffers by {} B:{}\n", in,
                       v.views + v.in_place + v.concat, why);
  }
  if (p.regions.size() > 1 && p.arena_size > p.buffer_bound)
    s += fmt::format("{}regions: {} B above the bound of one arena ({}): buffers in different regions cannot share "
                     "bytes\n",
                     in, p.arena_size - p.buffer_bound, bytesText(p.buffer_bound));
  for (const RegionPlan& r : p.regions) {
    std::string where = p.regions.size() > 1 || p.named_regions
                            ? fmt::format("region '{}' {}{}: ", r.name, bytesText(r.size),
                                          r.capacity ? fmt::format(" of {}", bytesText(r.capacity)) : "")
                            : "";
    s += fmt::format("{}placement: {}{}, {} (bound of planned buffers {})\n", in, where, r.strategy,
                     r.optimal ? "optimal" : fmt::format("{:.3f} x bound", r.bound ? static_cast<double>(r.size) /
                                                                                  static_cast<double>(r.bound)
                                                                            : 1.0),
                     bytesText(r.bound));
  }
  if (p.schedule_changed)
    s += fmt::format("{}schedule: reordered by the search (lifetime bound {} in the model's order)\n", in,
                     bytesText(p.model_order_bound));
  return s;
}

std::string formatPlan(const Graph& g, const MemoryPlan& p) {
  std::string s = "memory plan:\n" + planSummary(p);
  const bool regions = p.regions.size() > 1 || p.named_regions;
  s += fmt::format("  {}{:>8} {:>8} {:>9}  {}\n", regions ? fmt::format("{:<8} ", "region") : "", "offset", "bytes",
                   "steps", "tensors (= sharing the bytes)");
  const int steps = static_cast<int>(p.schedule.size());
  auto stepText = [&](int st) { return st < 0 ? std::string("pre") : st >= steps ? std::string("post") : std::to_string(st); };
  for (size_t i : displayOrder(p)) {
    const PlannedBuffer& b = p.buffers[i];
    s += fmt::format("  {}{:>8} {:>8} {:>4}-{:<4}  {}\n",
                     regions ? fmt::format("{:<8} ", p.regions[static_cast<size_t>(b.region)].name) : "", b.offset,
                     b.size, stepText(b.first), stepText(b.last), bufferName(g, b));
  }
  if (!p.extra_buffer.empty())
    s += "  (steps pre/post: the sensor pipeline's pre-processing before the first node and post-processing after "
         "the last)\n";
  return s;
}

std::string planJsonMembers(const Graph& g, const MemoryPlan& p) {
  std::string s;
  s += fmt::format("  \"arena_bytes\": {},\n  \"lower_bound_bytes\": {},\n  \"arena_over_bound\": {:.4f},\n",
                   p.arena_size, p.lower_bound, p.ratio());
  s += fmt::format("  \"buffer_bound_bytes\": {},\n  \"model_order_bound_bytes\": {},\n", p.buffer_bound,
                   p.model_order_bound);
  s += fmt::format(
      "  \"savings\": {{\"views\": {{\"bytes\": {}, \"nodes\": {}}}, \"in_place\": {{\"bytes\": {}, \"nodes\": {}}}, "
      "\"concat\": {{\"bytes\": {}, \"nodes\": {}}}}},\n",
      p.savings.views, p.savings.view_nodes, p.savings.in_place, p.savings.in_place_nodes, p.savings.concat,
      p.savings.concat_nodes);
  s += "  \"regions\": [";
  for (size_t r = 0; r < p.regions.size(); ++r) {
    const RegionPlan& rp = p.regions[r];
    std::string tried;
    for (const auto& t : rp.tried)
      tried += fmt::format("{}{{\"strategy\": {}, \"arena\": {}}}", tried.empty() ? "" : ", ", jsonString(t.first),
                           t.second);
    s += fmt::format(
        "{}\n    {{\"name\": {}, \"array\": {}, \"capacity\": {}, \"bytes\": {}, \"bound\": {}, \"strategy\": {}, "
        "\"optimal\": {}, \"tried\": [{}]}}",
        r ? "," : "", jsonString(rp.name), jsonString(p.arrayName(static_cast<int>(r))), rp.capacity, rp.size,
        rp.bound, jsonString(rp.strategy), rp.optimal, tried);
  }
  s += "\n  ],\n";
  s += fmt::format("  \"schedule\": {{\"reordered\": {}, \"search_exhaustive\": {}, \"steps\": [", p.schedule_changed,
                   p.schedule_exhaustive);
  for (size_t i = 0; i < p.schedule.size(); ++i) {
    const NodeId id = p.schedule[i];
    const Node& n = g.n(id);
    std::string extra;
    if (p.elided[static_cast<size_t>(id)]) extra = ", \"elided\": true";
    if (p.in_place_input[static_cast<size_t>(id)] >= 0)
      extra += fmt::format(", \"in_place_input\": {}", p.in_place_input[static_cast<size_t>(id)]);
    s += fmt::format("{}\n    {{\"step\": {}, \"node\": {}, \"op\": {}{}}}", i ? "," : "", i, jsonString(n.name),
                     jsonString(n.op_type), extra);
  }
  s += p.schedule.empty() ? "]},\n" : "\n  ]},\n";
  s += "  \"buffers\": [";
  for (size_t i = 0; i < p.buffers.size(); ++i) {
    const PlannedBuffer& b = p.buffers[i];
    std::string names;
    for (TensorId id : b.tensors) names += (names.empty() ? "" : ", ") + jsonString(g.t(id).name);
    std::string scratch = b.scratch_of >= 0 ? fmt::format(", \"scratch_of\": {}", jsonString(g.n(b.scratch_of).name)) : "";
    if (b.extra >= 0) scratch += fmt::format(", \"pipeline\": {}", jsonString(b.label));
    s += fmt::format(
        "{}\n    {{\"tensors\": [{}], \"size\": {}, \"offset\": {}, \"region\": {}, \"first_step\": {}, \"last_step\": "
        "{}{}}}",
        i ? "," : "", names, b.size, b.offset, jsonString(p.regions[static_cast<size_t>(b.region)].name), b.first,
        b.last, scratch);
  }
  s += p.buffers.empty() ? "]\n" : "\n  ]\n";
  return s;
}

std::string planSvg(const Graph& g, const MemoryPlan& p, const std::string& title) {
  // Columns: the schedule's steps, plus the pipeline's pseudo steps -1 (pre)
  // and schedule.size() (post) when a buffer lives there.
  int lo = 0, hi = static_cast<int>(p.schedule.size()) - 1;
  for (const PlannedBuffer& b : p.buffers) {
    lo = std::min(lo, b.first);
    hi = std::max(hi, b.last);
  }
  const int steps = std::max(hi - lo + 1, 1);
  const double left = 96, right = 180, top = 78, plotH = 400, panelGap = 96;
  const double plotW = std::clamp(steps * 28.0, 640.0, 2800.0);
  const double stepW = plotW / steps;
  const size_t nreg = std::max<size_t>(p.regions.size(), 1);
  const double width = left + plotW + right;
  const double height = top + nreg * (plotH + panelGap);
  static const char* kColors[] = {"#8ecae6", "#ffb703", "#90be6d", "#f4a261", "#cdb4db", "#a8dadc",
                                  "#e9c46a", "#b5e48c", "#ffafcc", "#bde0fe", "#f6bd60", "#84a59d"};
  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" "
      "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n",
      width, height, width, height);
  s += fmt::format("<title>{} memory plan</title>\n", xmlEscape(title));
  s += "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += fmt::format("<text x=\"{:.0f}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}: memory plan</text>\n", left,
                   xmlEscape(title));
  s += fmt::format(
      "<text x=\"{:.0f}\" y=\"44\">arena {} B, lifetime lower bound {} B, arena/bound {:.3f}; bound of planned "
      "buffers {} B; {} steps, {} buffers</text>\n",
      left, p.arena_size, p.lower_bound, p.ratio(), p.buffer_bound, p.schedule.size(), p.buffers.size());
  // Legend, laid out by estimated text width.
  {
    const double ly = 62;
    double x = left;
    struct Item { const char* color; const char* dash; const char* width; const char* text; };
    for (const Item& it : {Item{"#d62828", "6 3", "2", "lower bound of the planned buffers"},
                           Item{"#6c757d", "6 3", "2", "lifetime bound (every tensor its own buffer)"},
                           Item{"#1d3557", "", "1.5", "live bytes per step"}, Item{"black", "", "1", "arena size"}}) {
      s += fmt::format("<line x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{2:.0f}\" y2=\"{1:.0f}\" stroke=\"{3}\" "
                       "stroke-width=\"{4}\"{5}/><text x=\"{6:.0f}\" y=\"{7:.0f}\">{8}</text>\n",
                       x, ly, x + 28, it.color, it.width,
                       it.dash[0] ? fmt::format(" stroke-dasharray=\"{}\"", it.dash) : "", x + 34, ly + 4, it.text);
      x += 34 + 6.2 * static_cast<double>(std::char_traits<char>::length(it.text)) + 24;
    }
  }

  for (size_t r = 0; r < nreg; ++r) {
    const RegionPlan* rp = r < p.regions.size() ? &p.regions[r] : nullptr;
    const size_t size = rp ? rp->size : 0;
    const bool single = p.regions.size() <= 1;
    // The lifetime bound line is for the whole plan; draw it only with one region.
    const size_t bound = rp ? rp->bound : 0;
    const size_t ymax = std::max<size_t>({size, bound, single ? p.lower_bound : 0, 1});
    const double y0 = top + static_cast<double>(r) * (plotH + panelGap) + 24;
    auto Y = [&](size_t off) { return y0 + plotH - static_cast<double>(off) / static_cast<double>(ymax) * plotH; };
    if (!single || p.named_regions)
      s += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" font-size=\"13\" font-weight=\"bold\">region {} ({} B{})</text>\n",
                       left, y0 - 8, xmlEscape(rp ? rp->name : "arena"), size,
                       rp && rp->capacity ? fmt::format(" of {} B", rp->capacity) : "");
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#fafafa\" "
                     "stroke=\"#999\" stroke-width=\"0.5\"/>\n",
                     left, y0, plotW, plotH);
    // Y axis ticks: a power of two bytes, at most 6 intervals.
    size_t tick = 16;
    while (ymax / tick > 6) tick *= 2;
    for (size_t v = 0; v <= ymax; v += tick) {
      const double y = Y(v);
      s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e5e5e5\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                       left, y, left + plotW, y, left - 6, y + 4, shortBytes(v));
    }
    s += fmt::format("<text x=\"18\" y=\"{:.1f}\" transform=\"rotate(-90 18 {:.1f})\" text-anchor=\"middle\">arena "
                     "offset (bytes)</text>\n",
                     y0 + plotH / 2, y0 + plotH / 2);
    // X axis ticks and per-step hover targets.
    const int every = std::max(1, static_cast<int>(std::ceil(steps / 25.0)));
    for (int col = 0; col < steps; ++col) {
      const int st = col + lo;
      const double x = left + col * stepW;
      const bool pseudo = st < 0 || static_cast<size_t>(st) >= p.schedule.size();
      if (col % every == 0 || pseudo)
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x + stepW / 2,
                         y0 + plotH + 16, st < 0 ? "pre" : pseudo ? "post" : std::to_string(st));
      if (!pseudo) {
        const Node& n = g.n(p.schedule[static_cast<size_t>(st)]);
        std::string note = p.elided[static_cast<size_t>(p.schedule[static_cast<size_t>(st)])] ? " (elided)" : "";
        if (p.in_place_input[static_cast<size_t>(p.schedule[static_cast<size_t>(st)])] >= 0) note = " (in place)";
        s += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"22\" fill=\"transparent\">"
                         "<title>step {}: {}{}</title></rect>\n",
                         x, y0 + plotH + 2, stepW, st, xmlEscape(g.label(n)), note);
      }
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">step (node in execution order)</text>\n",
                     left + plotW / 2, y0 + plotH + 36);
    // Buffers.
    std::vector<BufferReq> reqs;
    for (size_t i : displayOrder(p)) {
      const PlannedBuffer& b = p.buffers[i];
      if (b.region != static_cast<int>(r)) continue;
      reqs.push_back(BufferReq{b.size, p.alignment, b.first - lo, b.last - lo});
      if (b.size == 0) continue;
      const double x = left + (b.first - lo) * stepW;
      const double w = (b.last - b.first + 1) * stepW;
      const double yTop = Y(b.offset + b.size);
      const double h = std::max(Y(b.offset) - yTop, 1.0);
      const std::string name = bufferName(g, b);
      const char* fill = b.scratch_of >= 0 ? "#d9d9d9"
                         : b.extra >= 0    ? "#f28482"
                                           : kColors[i % (sizeof kColors / sizeof kColors[0])];
      s += fmt::format("<g><title>{} | {} B at offset {} | steps {}-{}</title><rect x=\"{:.1f}\" y=\"{:.1f}\" "
                       "width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" stroke=\"#333\" stroke-width=\"0.6\"/>",
                       xmlEscape(name), b.size, b.offset, b.first, b.last, x, yTop, w, h, fill);
      if (w >= 36 && h >= 12) {
        const size_t maxChars = static_cast<size_t>((w - 6) / 6.2);
        std::string label = b.scratch_of >= 0 ? "scratch" : b.extra >= 0 ? b.label : g.t(b.tensors.front()).name;
        if (label.size() > maxChars) {
          // Exported names share long prefixes ("/features/features.4/Conv_output_0"):
          // keep the distinctive end.
          const size_t last = label.rfind('/');
          if (last != std::string::npos && last > 0) {
            const size_t prev = label.rfind('/', last - 1);
            label = label.substr(prev == std::string::npos ? 0 : prev + 1);
          }
          if (label.size() > maxChars) label = maxChars > 2 ? "~" + label.substr(label.size() - (maxChars - 1)) : "";
        }
        if (!label.empty())
          s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" clip-path=\"none\">{}</text>", x + 3,
                           yTop + std::min(h / 2 + 4, 13.0), xmlEscape(label));
      }
      s += "</g>\n";
    }
    // Live bytes per step (step function).
    std::vector<size_t> live = liveProfile(reqs, steps);
    std::string pts;
    for (int st = 0; st < steps; ++st) {
      const double y = Y(live[static_cast<size_t>(st)]);
      pts += fmt::format("{:.1f},{:.1f} {:.1f},{:.1f} ", left + st * stepW, y, left + (st + 1) * stepW, y);
    }
    s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#1d3557\" stroke-width=\"1.5\"/>\n", pts);
    // Bound and arena lines.
    // Bound and arena lines; their labels sit right of the plot, nudged apart.
    struct Mark { size_t v; const char* color; const char* dash; std::string label; };
    std::vector<Mark> marks = {{size, "black", "", fmt::format("arena {} B", size)},
                               {bound, "#d62828", "6 3", fmt::format("bound {} B", bound)}};
    if (single && p.lower_bound != bound)
      marks.push_back({p.lower_bound, "#6c757d", "6 3", fmt::format("lifetime bound {} B", p.lower_bound)});
    std::vector<double> ly;
    for (const Mark& m : marks) {
      s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
                       "stroke-width=\"{}\"{}/>\n",
                       left, Y(m.v), left + plotW, Y(m.v), m.color, m.dash[0] ? "2" : "1",
                       m.dash[0] ? fmt::format(" stroke-dasharray=\"{}\"", m.dash) : "");
      ly.push_back(Y(m.v) + 4);
    }
    std::vector<size_t> byY(marks.size());
    std::iota(byY.begin(), byY.end(), size_t{0});
    std::stable_sort(byY.begin(), byY.end(), [&](size_t a, size_t b) { return ly[a] < ly[b]; });
    for (size_t k = 1; k < byY.size(); ++k) ly[byY[k]] = std::max(ly[byY[k]], ly[byY[k - 1]] + 13);
    for (size_t k = 0; k < marks.size(); ++k)
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"{}\">{}</text>\n", left + plotW + 6, ly[k],
                       marks[k].color, xmlEscape(marks[k].label));
  }
  s += "</svg>\n";
  return s;
}

}  // namespace emlc
