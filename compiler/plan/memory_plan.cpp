#include "plan/memory_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>

namespace emlc {

namespace {

bool isIdentifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

size_t boundOf(const Lifetimes& L, size_t align) { return lowerBound(L.requests(align)); }

std::string kib(size_t b) {
  return b >= 10 * 1024 ? fmt::format("{} B ({:.1f} KiB)", b, static_cast<double>(b) / 1024.0) : fmt::format("{} B", b);
}

// The largest tensors of a plan, for "does not fit" messages.
std::string largestTensors(const Graph& g, const Lifetimes& L, size_t count) {
  std::vector<size_t> idx(L.buffers.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return L.buffers[a].size > L.buffers[b].size; });
  std::string s;
  for (size_t i = 0; i < idx.size() && i < count; ++i) {
    const LogicalBuffer& b = L.buffers[idx[i]];
    std::string name = b.scratch_of >= 0 ? fmt::format("scratch of {}", g.label(b.scratch_of))
                       : b.extra >= 0    ? b.label
                                         : fmt::format("'{}'", g.t(b.tensors.front()).name);
    if (b.tensors.size() > 1) name += fmt::format(" (+{} sharing it)", b.tensors.size() - 1);
    s += fmt::format("{}{} {} B, steps {}-{}", s.empty() ? "" : "; ", name, b.size, b.first, b.last);
  }
  return s;
}

// Places one region's buffers: the best strategy, or `fallback` (a valid
// placement found while assigning regions) if that is smaller.
Placement placeRegion(const std::vector<BufferReq>& reqs, const SearchOptions& so, RegionPlan& rp,
                      const Placement* fallback) {
  BestPlacement best = placeBest(reqs, so);
  rp.bound = best.bound;
  rp.strategy = best.detail;
  rp.optimal = best.optimal;
  for (const auto& t : best.tried) rp.tried.emplace_back(strategyName(t.first), t.second);
  if (fallback && fallback->arena < best.placement.arena) {
    rp.strategy = "incremental (region assignment)";
    rp.optimal = fallback->arena <= best.bound;
    rp.tried.emplace_back("incremental", fallback->arena);
    return *fallback;
  }
  return best.placement;
}

}  // namespace

Expected<size_t> parseByteSize(const std::string& text) {
  std::string t = text;
  size_t mul = 1;
  if (!t.empty() && (t.back() == 'K' || t.back() == 'k')) mul = 1024, t.pop_back();
  else if (!t.empty() && (t.back() == 'M' || t.back() == 'm')) mul = 1024 * 1024, t.pop_back();
  if (!t.empty() && (t.back() == 'B' || t.back() == 'b') && mul == 1) t.pop_back();
  if (t.empty() || t.size() > 15) return invalid(fmt::format("'{}' is not a byte size (e.g. 65536, 64K, 1M)", text));
  for (char c : t)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return invalid(fmt::format("'{}' is not a byte size (e.g. 65536, 64K, 1M)", text));
  const size_t v = static_cast<size_t>(std::stoull(t));
  if (v == 0) return invalid(fmt::format("'{}': a byte size must be positive", text));
  return v * mul;
}

Expected<std::vector<MemoryRegion>> parseMemoryRegions(const std::string& spec) {
  std::vector<MemoryRegion> out;
  size_t pos = 0;
  while (pos <= spec.size()) {
    const size_t c = spec.find(',', pos);
    const std::string item = spec.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
    const size_t eq = item.find('=');
    if (eq == std::string::npos)
      return invalid(fmt::format("--memory '{}': expected REGION=BYTES[,REGION=BYTES...], e.g. dtcm=64K,sram=320K", spec));
    MemoryRegion r;
    r.name = item.substr(0, eq);
    if (!isIdentifier(r.name))
      return invalid(fmt::format("--memory: region name '{}' must be a C identifier (letters, digits, _)", r.name));
    for (const auto& o : out)
      if (o.name == r.name) return invalid(fmt::format("--memory: region '{}' is given twice", r.name));
    auto bytes = parseByteSize(item.substr(eq + 1));
    if (!bytes) return Error(bytes.error()).context(fmt::format("--memory region '{}'", r.name));
    r.capacity = bytes.value();
    out.push_back(r);
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  if (out.empty()) return invalid("--memory: no regions given");
  return out;
}

std::string MemoryPlan::arrayName(int r) const {
  return named_regions ? "arena_" + regions[static_cast<size_t>(r)].name : std::string("arena");
}

Expected<MemoryPlan> planMemory(const Graph& g, const PlanOptions& opt) {
  return planMemoryWithHints(g, nodeHints(g), opt);
}

Expected<MemoryPlan> planMemoryWithHints(const Graph& g, const std::vector<NodeHints>& hints, const PlanOptions& opt) {
  const size_t align = std::max<size_t>(opt.alignment, 1);
  const size_t nn = g.nodes.size();
  MemoryPlan plan;
  plan.alignment = align;

  // 1. Schedule candidates: the model's order, then the search's.
  std::vector<NodeId> modelOrder(nn);
  std::iota(modelOrder.begin(), modelOrder.end(), 0);
  std::vector<std::vector<NodeId>> schedules = {modelOrder};
  bool searchExhaustive = false;
  if (opt.schedule_search && nn > 1) {
    ScheduleResult sr = searchSchedule(scheduleProblem(g, hints, align), opt.schedule);
    searchExhaustive = sr.exhaustive;
    std::vector<NodeId> order(sr.order.begin(), sr.order.end());
    if (order.size() == nn && order != modelOrder) schedules.push_back(order);
  }

  // 2. Lifetimes for each candidate, with and without Concat slices; keep
  //    the smallest bound of planned buffers (ties: earlier candidate).
  LifetimeOptions full;
  full.alignment = align;
  full.io_in_arena = opt.io_in_arena;
  full.extra = opt.extra;
  Lifetimes chosen;
  size_t chosenBound = SIZE_MAX;
  size_t chosenSchedule = 0;
  auto consider = [&](Lifetimes L, size_t si) {
    const size_t b = boundOf(L, align);
    if (b < chosenBound) {
      chosenBound = b;
      chosen = std::move(L);
      chosenSchedule = si;
    }
  };
  for (size_t si = 0; si < schedules.size(); ++si) {
    EMLC_ASSIGN(Lifetimes withConcat, analyzeLifetimes(g, schedules[si], hints, full));
    const bool anyElided =
        std::any_of(withConcat.elided.begin(), withConcat.elided.end(), [](char c) { return c != 0; });
    consider(std::move(withConcat), si);
    if (anyElided) {
      LifetimeOptions lo = full;
      lo.concat = false;
      EMLC_ASSIGN(Lifetimes without, analyzeLifetimes(g, schedules[si], hints, lo));
      consider(std::move(without), si);
    }
  }
  plan.schedule = schedules[chosenSchedule];
  plan.schedule_changed = chosenSchedule != 0;
  plan.schedule_exhaustive = searchExhaustive;
  plan.buffer_bound = chosenBound;

  // Bounds and savings on the chosen schedule: plain, + views, + in place, + concat.
  {
    LifetimeOptions lo = full;
    lo.views = lo.in_place = lo.concat = false;
    EMLC_ASSIGN(Lifetimes plain, analyzeLifetimes(g, plan.schedule, hints, lo));
    plan.lower_bound = boundOf(plain, align);
    EMLC_ASSIGN(Lifetimes plainModel, analyzeLifetimes(g, modelOrder, hints, lo));
    plan.model_order_bound = boundOf(plainModel, align);
    lo.views = true;
    EMLC_ASSIGN(Lifetimes views, analyzeLifetimes(g, plan.schedule, hints, lo));
    const size_t bViews = boundOf(views, align);
    lo.in_place = true;
    EMLC_ASSIGN(Lifetimes inPlace, analyzeLifetimes(g, plan.schedule, hints, lo));
    const size_t bInPlace = boundOf(inPlace, align);
    auto diff = [](size_t a, size_t b) { return a > b ? a - b : size_t{0}; };
    plan.savings.views = diff(plan.lower_bound, bViews);
    plan.savings.in_place = diff(bViews, bInPlace);
    plan.savings.concat = diff(bInPlace, chosenBound);
    for (size_t i = 0; i < nn; ++i) {
      plan.savings.view_nodes += chosen.view_shared[i] ? 1 : 0;
      plan.savings.in_place_nodes += chosen.in_place_input[i] >= 0 ? 1 : 0;
      plan.savings.concat_nodes += chosen.elided[i] ? 1 : 0;
    }
  }
  const Lifetimes& L = chosen;
  plan.elided = L.elided;
  plan.in_place_input = L.in_place_input;
  plan.scratch_buffer = L.scratch_buffer;
  plan.extra_buffer = L.extra_buffer;
  plan.step_of.assign(nn, -1);
  for (size_t s = 0; s < plan.schedule.size(); ++s) plan.step_of[static_cast<size_t>(plan.schedule[s])] = static_cast<int>(s);

  // 3. Regions and placement.
  std::vector<MemoryRegion> regions = opt.regions;
  plan.named_regions = !regions.empty();
  if (regions.empty()) regions.push_back(MemoryRegion{"arena", 0});
  const std::vector<BufferReq> reqs = L.requests(align);
  const size_t nb = reqs.size();
  std::vector<int> regionOf(nb, -1);
  std::vector<size_t> offset(nb, 0);
  // Hotness: nodes touching the buffer per byte.
  std::vector<size_t> touches(nb, 0);
  for (size_t b = 0; b < nb; ++b) {
    if (L.buffers[b].scratch_of >= 0 || L.buffers[b].extra >= 0) { touches[b] = 1; continue; }
    std::set<NodeId> nodes;
    for (TensorId t : L.buffers[b].tensors) {
      if (g.t(t).producer >= 0) nodes.insert(g.t(t).producer);
    }
    for (const Node& n : g.nodes)
      for (TensorId x : n.inputs)
        if (x != kNoTensor && L.place[static_cast<size_t>(x)].buffer == static_cast<int>(b))
          nodes.insert(static_cast<NodeId>(&n - g.nodes.data()));
    touches[b] = std::max<size_t>(nodes.size(), 1);
  }
  std::vector<size_t> hot(nb);
  std::iota(hot.begin(), hot.end(), size_t{0});
  std::stable_sort(hot.begin(), hot.end(), [&](size_t a, size_t b) {
    const unsigned long long ha = touches[a] * std::max<size_t>(reqs[b].size, 1);
    const unsigned long long hb = touches[b] * std::max<size_t>(reqs[a].size, 1);
    if (ha != hb) return ha > hb;
    return reqs[a].size < reqs[b].size;
  });
  plan.regions.clear();
  for (size_t r = 0; r < regions.size(); ++r) {
    RegionPlan rp;
    rp.name = regions[r].name;
    rp.capacity = regions[r].capacity;
    const bool lastRegion = r + 1 == regions.size();
    std::vector<size_t> members;
    Placement incremental;
    bool haveIncremental = false;
    if (lastRegion || rp.capacity == 0) {
      for (size_t b : hot)
        if (regionOf[b] < 0) members.push_back(b);
    } else {
      // Greedy assignment: add each buffer (hottest first) where it fits
      // among the region's buffers placed so far (best fit).
      std::vector<size_t> placedIdx;
      std::vector<size_t> placedOff;
      for (size_t b : hot) {
        if (regionOf[b] >= 0 || reqs[b].size == 0) continue;
        std::vector<std::pair<size_t, size_t>> busy;
        for (size_t k = 0; k < placedIdx.size(); ++k)
          if (lifetimesOverlap(reqs[b], reqs[placedIdx[k]]))
            busy.emplace_back(placedOff[k], placedOff[k] + reqs[placedIdx[k]].size);
        std::sort(busy.begin(), busy.end());
        size_t cursor = 0, best = SIZE_MAX, bestGap = SIZE_MAX;
        for (const auto& iv : busy) {
          const size_t start = alignUp(cursor, align);
          if (iv.first >= start && iv.first - start >= reqs[b].size && iv.first - start < bestGap) {
            bestGap = iv.first - start;
            best = start;
          }
          cursor = std::max(cursor, iv.second);
        }
        if (best == SIZE_MAX) best = alignUp(cursor, align);
        if (alignUp(best + reqs[b].size, align) > rp.capacity) continue;
        placedIdx.push_back(b);
        placedOff.push_back(best);
        members.push_back(b);
        incremental.arena = std::max(incremental.arena, alignUp(best + reqs[b].size, align));
      }
      std::sort(members.begin(), members.end());
      // members sorted by buffer index; offsets in the same order.
      incremental.offsets.assign(members.size(), 0);
      for (size_t k = 0; k < placedIdx.size(); ++k) {
        const size_t pos = static_cast<size_t>(std::lower_bound(members.begin(), members.end(), placedIdx[k]) - members.begin());
        incremental.offsets[pos] = placedOff[k];
      }
      haveIncremental = true;
    }
    std::sort(members.begin(), members.end());
    std::vector<BufferReq> sub;
    for (size_t b : members) sub.push_back(reqs[b]);
    Placement p = placeRegion(sub, opt.placement, rp, haveIncremental ? &incremental : nullptr);
    EMLC_TRY(checkPlacement(sub, p));
    rp.size = p.arena;
    for (size_t k = 0; k < members.size(); ++k) {
      regionOf[members[k]] = static_cast<int>(r);
      offset[members[k]] = p.offsets[k];
    }
    if (rp.capacity != 0 && rp.size > rp.capacity) {
      return invalid(fmt::format(
          "the memory plan does not fit: region '{}' needs {} but has {} (all regions: {} planned, lower bound {}). "
          "Largest buffers: {}",
          rp.name, kib(rp.size), kib(rp.capacity), kib(rp.size), kib(plan.buffer_bound), largestTensors(g, L, 5)));
    }
    plan.regions.push_back(rp);
  }
  plan.arena_size = 0;
  for (const RegionPlan& rp : plan.regions) plan.arena_size += rp.size;

  // 4. The plan: buffers and tensor storage.
  plan.buffers.resize(nb);
  for (size_t b = 0; b < nb; ++b) {
    PlannedBuffer& pb = plan.buffers[b];
    pb.tensors = L.buffers[b].tensors;
    pb.size = L.buffers[b].size;
    pb.first = L.buffers[b].first;
    pb.last = L.buffers[b].last;
    pb.scratch_of = L.buffers[b].scratch_of;
    pb.extra = L.buffers[b].extra;
    pb.label = L.buffers[b].label;
    pb.region = std::max(regionOf[b], 0);
    pb.offset = offset[b];
  }
  plan.storage.resize(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const TensorPlace& tp = L.place[t];
    TensorStorage& s = plan.storage[t];
    s.home = tp.home;
    s.index = tp.index;
    s.offset = tp.offset;
    if (tp.home == Home::Arena) {
      const PlannedBuffer& pb = plan.buffers[static_cast<size_t>(tp.buffer)];
      s.buffer = tp.buffer;
      s.region = pb.region;
      s.offset = pb.offset + tp.offset;
    }
  }
  plan.input_in_arena.assign(g.inputs.size(), false);
  plan.output_in_arena.assign(g.outputs.size(), false);
  for (size_t k = 0; k < g.inputs.size(); ++k)
    plan.input_in_arena[k] = plan.storage[static_cast<size_t>(g.inputs[k])].home == Home::Arena;
  for (size_t k = 0; k < g.outputs.size(); ++k)
    plan.output_in_arena[k] = plan.storage[static_cast<size_t>(g.outputs[k])].home == Home::Arena;

  EMLC_TRY(verifyPlan(g, plan));

  if (opt.max_arena != 0 && plan.arena_size > opt.max_arena) {
    return invalid(fmt::format(
        "the memory plan needs {} but --max-arena is {}. The lower bound of the planned buffers is {} (the plain "
        "lifetime bound {}), so no placement of this schedule fits below that. Largest buffers: {}. Try a smaller "
        "input shape, an int8 model, or --memory to spread buffers over several regions",
        kib(plan.arena_size), kib(opt.max_arena), kib(plan.buffer_bound), kib(plan.lower_bound),
        largestTensors(g, L, 5)));
  }
  return plan;
}

Status verifyPlan(const Graph& g, const MemoryPlan& p) {
  if (p.storage.size() != g.tensors.size()) return internal("memory plan: storage does not cover the tensors");
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const TensorStorage& s = p.storage[t];
    if (g.tensors[t].isConstant()) continue;
    if (s.home == Home::Arena) {
      if (s.buffer < 0 || static_cast<size_t>(s.buffer) >= p.buffers.size())
        return internal(fmt::format("memory plan: tensor '{}' has no buffer", g.tensors[t].name));
      const PlannedBuffer& b = p.buffers[static_cast<size_t>(s.buffer)];
      if (s.offset < b.offset || s.offset + g.tensors[t].type.bytes() > b.offset + b.size)
        return internal(fmt::format("memory plan: tensor '{}' lies outside its buffer", g.tensors[t].name));
    }
  }
  for (size_t r = 0; r < p.regions.size(); ++r) {
    std::vector<BufferReq> reqs;
    Placement pl;
    pl.arena = p.regions[r].size;
    for (const PlannedBuffer& b : p.buffers) {
      if (b.region != static_cast<int>(r)) continue;
      reqs.push_back(BufferReq{b.size, p.alignment, b.first, b.last});
      pl.offsets.push_back(b.offset);
    }
    Status st = checkPlacement(reqs, pl);
    if (!st) return st.error().context(fmt::format("memory plan, region '{}'", p.regions[r].name));
  }
  return Status::ok();
}

}  // namespace emlc
