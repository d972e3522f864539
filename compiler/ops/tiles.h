// Register-tile sizes of the fast float kernels (runtime/emlc/conv_nhwc.h,
// gemm_packed.h): MR rows (output pixels) x NR columns (output channels).
// Chosen from measurements on an AVX-512 host (benchmarks/latency): NR = 16
// is one 512-bit vector (two 256-bit ones); 8 rows of it keep 8
// accumulators in flight, enough to hide the FMA latency. Narrow outputs
// (<= 8 channels) use NR = 8. Every (MR, NR) returned here is instantiated
// by withTile().
#pragma once

#include <cstdint>
#include <type_traits>

#include "support/status.h"

namespace emlc {

struct Tile {
  int mr, nr;
};

inline int tileCols(int64_t n) { return n <= 8 ? 8 : 16; }

// Rows for a matrix product over `rows` rows: 8, or 6 when 8 would waste
// more than an eighth of the last tile's work (e.g. 9 or 36 pixels... 36 is
// fine: 4 of 40).
inline int gemmTileRows(int64_t rows) {
  const int64_t waste8 = (rows + 7) / 8 * 8 - rows;
  const int64_t waste6 = (rows + 5) / 6 * 6 - rows;
  return waste8 * 8 > rows && waste6 < waste8 ? 6 : 8;
}

// Matrix product (gemm_packed): one row (a vector) takes wide column panels
// (several accumulators along the row); more rows take gemmTileRows.
inline Tile gemmTile(int64_t rows, int64_t cols) {
  if (rows == 1) return Tile{1, cols >= 64 ? 64 : cols >= 32 ? 32 : cols >= 16 ? 16 : 8};
  return Tile{gemmTileRows(rows), tileCols(cols)};
}

// Direct convolution tiles run along one output row of `out_w` pixels.
inline Tile convTile(int64_t out_w, int64_t out_c) { return Tile{out_w >= 8 ? 8 : 4, tileCols(out_c)}; }

// Calls f(integral_constant<MR>, integral_constant<NR>) for a tile the
// policies above can return.
template <class F>
Status withTile(Tile t, F&& f) {
  using std::integral_constant;
  if (t.nr == 8 && t.mr == 8) return f(integral_constant<int, 8>{}, integral_constant<int, 8>{});
  if (t.nr == 8 && t.mr == 6) return f(integral_constant<int, 6>{}, integral_constant<int, 8>{});
  if (t.nr == 8 && t.mr == 4) return f(integral_constant<int, 4>{}, integral_constant<int, 8>{});
  if (t.nr == 16 && t.mr == 8) return f(integral_constant<int, 8>{}, integral_constant<int, 16>{});
  if (t.nr == 16 && t.mr == 6) return f(integral_constant<int, 6>{}, integral_constant<int, 16>{});
  if (t.nr == 16 && t.mr == 4) return f(integral_constant<int, 4>{}, integral_constant<int, 16>{});
  if (t.mr == 1 && t.nr == 64) return f(integral_constant<int, 1>{}, integral_constant<int, 64>{});
  if (t.mr == 1 && t.nr == 32) return f(integral_constant<int, 1>{}, integral_constant<int, 32>{});
  if (t.mr == 1 && t.nr == 16) return f(integral_constant<int, 1>{}, integral_constant<int, 16>{});
  if (t.mr == 1 && t.nr == 8) return f(integral_constant<int, 1>{}, integral_constant<int, 8>{});
  return internal("no kernel instance for this register tile");
}

}  // namespace emlc

namespace emlc {

// Tiles of the single-precision FPU kernels (runtime/emlc/float_fpu.h,
// --target cortex-m*): at most 24 accumulators of the 32 s-registers.
// More than one row: NR = 4 output channels and MR in 2..6 rows (pixels),
// the MR with the fewest instructions over all tiles (per reduction step a
// tile costs MR * NR multiply-adds, MR + NR loads and about 3 of loop);
// 6 x 4 runs at ~1.6 instructions per MAC. One row (a vector): NR 16, 8
// or 4 accumulators along it.
inline Tile fpuTile(int64_t rows, int64_t cols) {
  if (rows == 1) return Tile{1, cols > 8 ? 16 : cols > 4 ? 8 : 4};
  int best = 6;
  int64_t best_cost = -1;
  for (int mr = 6; mr >= 2; --mr) {
    const int64_t cost = (rows + mr - 1) / mr * (mr * 4 + mr + 4 + 3);
    if (best_cost < 0 || cost < best_cost) best = mr, best_cost = cost;
  }
  return Tile{best, 4};
}

// Calls f(integral_constant<MR>, integral_constant<NR>) for a tile fpuTile
// can return.
template <class F>
Status withFpuTile(Tile t, F&& f) {
  using std::integral_constant;
  if (t.mr == 1 && t.nr == 16) return f(integral_constant<int, 1>{}, integral_constant<int, 16>{});
  if (t.mr == 1 && t.nr == 8) return f(integral_constant<int, 1>{}, integral_constant<int, 8>{});
  if (t.mr == 1 && t.nr == 4) return f(integral_constant<int, 1>{}, integral_constant<int, 4>{});
  if (t.nr == 4) {
    switch (t.mr) {
      case 2: return f(integral_constant<int, 2>{}, integral_constant<int, 4>{});
      case 3: return f(integral_constant<int, 3>{}, integral_constant<int, 4>{});
      case 4: return f(integral_constant<int, 4>{}, integral_constant<int, 4>{});
      case 5: return f(integral_constant<int, 5>{}, integral_constant<int, 4>{});
      case 6: return f(integral_constant<int, 6>{}, integral_constant<int, 4>{});
      default: break;
    }
  }
  return internal("no FPU kernel instance for this register tile");
}

}  // namespace emlc
