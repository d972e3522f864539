// emlc's internal int8 elementwise ops, on runtime/emlc/int8_elementwise.h:
//
// emlc.QAdd, emlc.QMul  A, B (int8/uint8, per tensor, numpy broadcasting);
//                       attributes y_scale, y_zero_point, act_min, act_max.
//                       TFLite's ADD (left shift 20, both inputs rescaled to
//                       2 * max(s_a, s_b)) and MUL (s_a * s_b / s_y).
// emlc.QLut             X and a constant 256-entry table of X's type (entry
//                       i is the result for code lowest + i); attributes
//                       y_scale, y_zero_point. Any elementwise function of
//                       one int8 tensor (the lowering fills the table).
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>

#include "emlc/int8_elementwise.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"
#include "passes/target_kernels.h"
#include "emlc/int8_dsp_pool_add.h"

namespace emlc {
namespace {

template <class F>
Status dispatch8(DType t, F&& f) {
  switch (t) {
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    default: return unsupported(fmt::format("element type {} is not supported (int8/uint8 only)", dtypeName(t)));
  }
}

rt::BroadcastParams broadcast(const Shape& a, const Shape& b, const Shape& out) {
  rt::BroadcastParams p{};
  p.rank = static_cast<int32_t>(out.size());
  fillArray(p.dims, out);
  fillArray(p.a_strides, broadcastStrides(a, out));
  fillArray(p.b_strides, broadcastStrides(b, out));
  return p;
}

enum class BinQ { Add, Mul };

// QuantAddShort (runtime/emlc/int8_dsp_pool_add.h) for f when every step
// is provably exact with int8 inputs: no shifted value passes int32 after
// its doubling, input shifts are right shifts >= 1 or the multiplier is
// exactly 0.5 (shift 0), the output shift is a right shift >= 1 and the
// rounding sums stay inside int32. Otherwise none (the full sequence).
std::optional<rt::QuantAddShort> shortAdd(const rt::QuantAdd& f) {
  constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
  const int64_t L = f.left_shift;
  if (L < 1 || L > 22) return std::nullopt;
  auto input = [&](int32_t offset, int32_t mult, int32_t shift, int32_t* off, int32_t* shiftIn, int32_t* add,
                   int32_t* right) {
    const int64_t vmax = std::max(std::abs(-128 + int64_t{offset}), std::abs(127 + int64_t{offset}));
    int64_t in = 0, r = 0, a = 0;
    if (shift <= -1 && shift >= -30) {
      in = L + 1, r = -shift, a = int64_t{1} << (r - 1);
    } else if (shift == 0 && mult == (int32_t{1} << 30)) {
      in = L + 2, r = 1, a = 1;
    } else {
      return false;
    }
    if ((vmax << in) > kI32Max) return false;
    *off = static_cast<int32_t>(int64_t{offset} * (int64_t{1} << in));
    *shiftIn = static_cast<int32_t>(in);
    *add = static_cast<int32_t>(a);
    *right = static_cast<int32_t>(r);
    return true;
  };
  rt::QuantAddShort g{};
  if (!input(f.a_offset, f.a_multiplier, f.a_shift, &g.a_offset, &g.a_shift_in, &g.a_add, &g.a_right) ||
      !input(f.b_offset, f.b_multiplier, f.b_shift, &g.b_offset, &g.b_shift_in, &g.b_add, &g.b_right))
    return std::nullopt;
  g.a_multiplier = f.a_multiplier;
  g.b_multiplier = f.b_multiplier;
  // |sa|, |sb| <= 255 << L, so |2 (sa + sb)| <= 1020 << L must fit, and so must h + add.
  const int64_t sum = (int64_t{1020} << L);
  const int64_t r = -int64_t{f.output_shift};
  if (sum > kI32Max || r < 1 || r > 30) return std::nullopt;
  const int64_t add = (int64_t{1} << (r - 1)) + int64_t{f.output_offset} * (int64_t{1} << r);
  if (sum / 2 + 2 + std::abs(add) > kI32Max) return std::nullopt;
  g.output_multiplier = f.output_multiplier;
  g.output_add = static_cast<int32_t>(add);
  g.output_right = static_cast<int32_t>(r);
  g.act_min = f.act_min;
  g.act_max = f.act_max;
  return g;
}

template <BinQ K>
class QBinaryOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& a = g.inType(n, 0);
    const TensorType& b = g.inType(n, 1);
    EMLC_TRY(perTensorQuant(a, "input A").status());
    EMLC_TRY(perTensorQuant(b, "input B").status());
    if (a.dtype != b.dtype) return invalid("inputs A and B must have the same element type");
    EMLC_ASSIGN(Shape out, broadcastShapes(a.shape, b.shape));
    EMLC_TRY(checkShape(out, "output"));
    EMLC_ASSIGN(TensorType t, quantOutType(n, a.dtype, out));
    setOut(g, n, 0, t);
    return Status::ok();
  }
  bool inPlace(const Node&, const Graph&, size_t) const override { return true; }
  Status lower(Lowering& l) const override {
    EMLC_ASSIGN(QuantScalar a, perTensorQuant(l.inType(0), "input A"));
    EMLC_ASSIGN(QuantScalar b, perTensorQuant(l.inType(1), "input B"));
    EMLC_ASSIGN(QuantScalar y, perTensorQuant(l.outType(0), "output"));
    const CodeRange c = nodeClamp(l.node(), l.outType(0).dtype);
    const rt::BroadcastParams bp = broadcast(l.inType(0).shape, l.inType(1).shape, l.outType(0).shape);
    return dispatch8(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      if constexpr (K == BinQ::Add) {
        rt::QuantAdd f{};
        f.a_offset = -a.zero_point;
        f.b_offset = -b.zero_point;
        f.output_offset = y.zero_point;
        f.left_shift = 20;
        const double twice_max = 2.0 * static_cast<double>(std::max(a.scale, b.scale));
        const QuantMultiplier ma = quantizeMultiplier(static_cast<double>(a.scale) / twice_max);
        const QuantMultiplier mb = quantizeMultiplier(static_cast<double>(b.scale) / twice_max);
        const QuantMultiplier my =
            quantizeMultiplier(twice_max / (static_cast<double>(1 << 20) * static_cast<double>(y.scale)));
        f.a_multiplier = ma.multiplier;
        f.a_shift = ma.shift;
        f.b_multiplier = mb.multiplier;
        f.b_shift = mb.shift;
        f.output_multiplier = my.multiplier;
        f.output_shift = my.shift;
        f.act_min = c.lo;
        f.act_max = c.hi;
        if (my.shift > 0)
          return unsupported(fmt::format("int8 Add whose output scale {} is below 2 * max input scale / 2^20", y.scale));
        // --target cortex-m*: the same arithmetic without broadcasting.
        if constexpr (std::is_same_v<T, int8_t>) {
          if (l.node().attrString(kKernelAttr, "") == kArmDsp && l.inType(0).shape == l.outType(0).shape &&
              l.inType(1).shape == l.outType(0).shape) {
            const int32_t count = static_cast<int32_t>(l.outType(0).numel());
            if (auto sf = shortAdd(f)) {
              if (f.act_min == -128 && f.act_max == 127)
                return l.call("emlc::rt::qadd_dsp_short<true>", &rt::qadd_dsp_short<true>, *sf, l.in<T>(0),
                              l.in<T>(1), l.out<T>(0), count);
              return l.call("emlc::rt::qadd_dsp_short<false>", &rt::qadd_dsp_short<false>, *sf, l.in<T>(0),
                            l.in<T>(1), l.out<T>(0), count);
            }
            return l.call("emlc::rt::qadd_dsp", &rt::qadd_dsp, f, l.in<T>(0), l.in<T>(1), l.out<T>(0), count);
          }
        }
        return l.call(fmt::format("emlc::rt::qbinary<{}, emlc::rt::QuantAdd>", ctypeName<T>()),
                      &rt::qbinary<T, rt::QuantAdd>, bp, f, l.in<T>(0), l.in<T>(1), l.out<T>(0));
      } else {
        const QuantMultiplier m = quantizeMultiplier(static_cast<double>(a.scale) * static_cast<double>(b.scale) /
                                                     static_cast<double>(y.scale));
        if (m.shift > 30) return unsupported("int8 Mul with a requantisation multiplier above 2^30");
        const rt::QuantMul f{-a.zero_point, -b.zero_point, y.zero_point, m.multiplier, m.shift, c.lo, c.hi};
        return l.call(fmt::format("emlc::rt::qbinary<{}, emlc::rt::QuantMul>", ctypeName<T>()),
                      &rt::qbinary<T, rt::QuantMul>, bp, f, l.in<T>(0), l.in<T>(1), l.out<T>(0));
      }
    });
  }
};

class QLutOp final : public Op {
 public:
  Status infer(Node& n, Graph& g) const override {
    EMLC_TRY(requireInputs(n, 2, 2));
    const TensorType& x = g.inType(n, 0);
    EMLC_TRY(perTensorQuant(x, "input X").status());
    EMLC_TRY(requireConst(g, n, 1, "table"));
    const TensorType& t = g.inType(n, 1);
    if (t.dtype != x.dtype || t.numel() != 256)
      return invalid(fmt::format("table {} must hold 256 values of X's type", t.str()));
    EMLC_ASSIGN(TensorType y, quantOutType(n, x.dtype, x.shape));
    setOut(g, n, 0, y);
    return Status::ok();
  }
  bool inPlace(const Node&, const Graph&, size_t k) const override { return k == 0; }
  Status lower(Lowering& l) const override {
    const int32_t count = static_cast<int32_t>(l.outType(0).numel());
    return dispatch8(l.inType(0).dtype, [&](auto z) -> Status {
      using T = decltype(z);
      return l.call(kernelName<T>("qlut"), &rt::qlut<T>, l.in<T>(0), l.in<T>(1), l.out<T>(0), count);
    });
  }
};

}  // namespace

const Op& op_emlc_QAdd() { static const QBinaryOp<BinQ::Add> op; return op; }
const Op& op_emlc_QMul() { static const QBinaryOp<BinQ::Mul> op; return op; }
const Op& op_emlc_QLut() { static const QLutOp op; return op; }

}  // namespace emlc
